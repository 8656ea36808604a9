"""Helpers for the register, plan and review wire tests: a bot with a fixed clock, demo pupils, cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.server.assembly import create_app
from storage.models import AuditEvent, ClassPupil, ClassStaff, Pupil, RegisterEntry, School, Staff
from tests.conftest import OUTGOING_TOKEN, BotUnderTest, production_settings
from tests.support import activities as act
from tests.support import cards as _cards
from tests.support.fake_connector import FakeConnector
from tests.support.tokens import TokenAuthority

# Re-exported: the flow tests import every helper from here.
card_texts = _cards.card_texts

# A Wednesday in term; the school is in Europe/London (UTC+0 in November).
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(name="sen_bot")
async def sen_bot_fixture(
    database_url: str,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    demo: None,
    connector: FakeConnector,
    authority: TokenAuthority,
) -> AsyncIterator[BotUnderTest]:
    settings = production_settings(database_url, authority)
    app = create_app(settings, outgoing_token=lambda: OUTGOING_TOKEN, clock=lambda: NOW)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield BotUnderTest(
            str(server.make_url("")).rstrip("/"), http, connector, authority, sessions, settings, app
        )
    await server.close()


def actions(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    """Every Action.Submit on a card (actions and selectActions) whose data carries `verb`."""
    found: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit" and node.get("data", {}).get("verb") == verb:
                found.append(node["data"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    """id → value of every input on a card (what Teams would submit if the person changed nothing)."""
    found: dict[str, Any] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node.get("value", "")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found


async def last_card(bot: BotUnderTest) -> dict[str, Any]:
    """The card the person sees last: a new message, or the form they submitted replaced in place
    (sent back with its errors on the fields)."""
    return [r for r in bot.connector.sent if r.cards][-1].cards[0]


async def say(bot: BotUnderTest, text: str, user: act.User = act.SENCO) -> dict[str, Any]:
    status, _ = await bot.post(act.message(text, bot.service_url, user=user))
    assert status == 201
    return await last_card(bot)


async def press(bot: BotUnderTest, data: dict[str, Any], user: act.User = act.SENCO) -> dict[str, Any]:
    status, _ = await bot.post(act.submit(data, bot.service_url, user=user))
    assert status == 201
    return await last_card(bot)


async def pupil_with_status(
    bot: BotUnderTest, status: str | None, *, teacher: act.User | None = None
) -> Pupil:
    """A demo pupil with current status `status` (None: never on the register), taught by `teacher`."""
    async with bot.sessions() as s:
        current = select(RegisterEntry.pupil_id).where(RegisterEntry.ended_on.is_(None))
        stmt = select(Pupil).order_by(Pupil.id)
        if status is None:
            stmt = stmt.where(Pupil.id.not_in(current))
        else:
            stmt = stmt.where(Pupil.id.in_(current.where(RegisterEntry.status == status)))
        if teacher is not None:
            taught = (
                select(ClassPupil.pupil_id)
                .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
                .join(Staff, Staff.id == ClassStaff.staff_id)
                .where(Staff.aad_object_id == teacher.aad_object_id)
            )
            stmt = stmt.where(Pupil.id.in_(taught))
        return (await s.execute(stmt.limit(1))).scalar_one()


async def pupil_not_taught_by(bot: BotUnderTest, teacher: act.User, status: str = "K") -> Pupil:
    async with bot.sessions() as s:
        taught = (
            select(ClassPupil.pupil_id)
            .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
            .join(Staff, Staff.id == ClassStaff.staff_id)
            .where(Staff.aad_object_id == teacher.aad_object_id)
        )
        current = select(RegisterEntry.pupil_id).where(
            RegisterEntry.ended_on.is_(None), RegisterEntry.status == status
        )
        stmt = select(Pupil).where(Pupil.id.not_in(taught), Pupil.id.in_(current)).order_by(Pupil.id)
        return (await s.execute(stmt.limit(1))).scalar_one()


async def foreign_pupil(bot: BotUnderTest) -> int:
    """A pupil of another school: out of everyone's scope here."""
    async with bot.sessions.begin() as s:
        school = School(tenant_id="other-tenant", name="Elsewhere School", urn="999777")
        s.add(school)
        await s.flush()
        pupil = Pupil(
            school_id=school.id,
            mis_id="X1",
            given_name="Far",
            family_name="Away",
            year_group=3,
            date_of_birth=dt.date(2018, 1, 1),
        )
        s.add(pupil)
        await s.flush()
        return pupil.id


async def refusals(bot: BotUnderTest, action: str) -> list[AuditEvent]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == "refused")
        )
        return list(rows.scalars())


async def audited(bot: BotUnderTest, action: str) -> list[AuditEvent]:
    async with bot.sessions() as s:
        rows = await s.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


async def plan_rows(bot: BotUnderTest, pupil_id: int) -> list[Any]:
    from storage.models import SupportPlan

    async with bot.sessions() as s:
        rows = await s.execute(
            select(SupportPlan).where(SupportPlan.pupil_id == pupil_id).order_by(SupportPlan.id)
        )
        return list(rows.scalars())


async def open_reviews(bot: BotUnderTest, pupil_id: int) -> list[Any]:
    from storage.models import Review

    async with bot.sessions() as s:
        rows = await s.execute(
            select(Review).where(Review.pupil_id == pupil_id, Review.held_on.is_(None)).order_by(Review.id)
        )
        return list(rows.scalars())


def plan_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "outcome1": "Reads 40 high-frequency words by sight",
        "outcome2": "Writes a three-sentence recount with full stops",
        "outcome3": "",
        "outcome4": "",
        "strategies": "Pre-teach vocabulary; visual timetable",
        "review_on": (TODAY + dt.timedelta(weeks=10)).isoformat(),
        "pupil_views": "I like reading with Mr Lee",
        "parent_views": "Reads at home most nights",
    }
    values.update(overrides)
    return values


async def plan_form(bot: BotUnderTest, pupil_id: int, user: act.User = act.SENCO) -> dict[str, Any]:
    """The drafting card's submit data, as Teams would send it with the defaults unchanged."""
    card = await press(bot, {"verb": "plan_edit", "pupil_id": pupil_id}, user=user)
    [save] = actions(card, "plan_save")
    return {**inputs(card), **save}


async def draft_plan(
    bot: BotUnderTest, pupil_id: int, user: act.User = act.SENCO, **overrides: Any
) -> dict[str, Any]:
    form = await plan_form(bot, pupil_id, user)
    card = await press(bot, {**form, **plan_values(**overrides)}, user=user)
    return card


async def with_ehc_plan(bot: BotUnderTest, pupil_id: int) -> None:
    """Record the local authority's EHC plan for a pupil (the register refuses E without one)."""
    from storage.models import EhcPlan

    async with bot.sessions.begin() as s:
        s.add(EhcPlan(pupil_id=pupil_id, issued_on=TODAY, created_at=NOW))
