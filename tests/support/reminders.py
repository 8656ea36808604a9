"""Shared set-up for reminder tests: reviews for pupils of named demo classes, conversations for staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import (
    ClassPupil,
    ConversationRef,
    Pupil,
    Referral,
    ReferralService,
    Review,
    School,
    SchoolClass,
    Staff,
)
from tests.conftest import BotUnderTest

# Monday 30 November 2026 (GMT: London time equals UTC).
MONDAY = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


async def staff_by_name(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {name: i for i, name in await session.execute(select(Staff.id, Staff.display_name))}


async def pupil_in(sessions: async_sessionmaker[AsyncSession], class_name: str, n: int = 0) -> Pupil:
    async with sessions() as session:
        pupils = (
            (
                await session.execute(
                    select(Pupil)
                    .join(ClassPupil, ClassPupil.pupil_id == Pupil.id)
                    .join(SchoolClass, SchoolClass.id == ClassPupil.class_id)
                    .where(SchoolClass.name == class_name)
                    .order_by(Pupil.id)
                )
            )
            .scalars()
            .all()
        )
    return pupils[n]


async def add_review(
    sessions: async_sessionmaker[AsyncSession],
    pupil_id: int,
    due_on: dt.date,
    *,
    held_on: dt.date | None = None,
) -> int:
    async with sessions.begin() as session:
        review = Review(pupil_id=pupil_id, due_on=due_on, held_on=held_on, created_at=at(MONDAY, 0))
        session.add(review)
        await session.flush()
        return review.id


async def add_referral(
    sessions: async_sessionmaker[AsyncSession],
    pupil_id: int,
    requested_by: int,
    *,
    status: str,
    updated_at: dt.datetime,
    key: str,
) -> int:
    async with sessions.begin() as session:
        school_id = await session.scalar(select(School.id))
        service_id = await session.scalar(select(ReferralService.id).order_by(ReferralService.id))
        referral = Referral(
            school_id=school_id,
            pupil_id=pupil_id,
            service_id=service_id,
            requested_by=requested_by,
            concern="Reading",
            consent_on=updated_at.date(),
            consent_by="Parent",
            status=status,
            idempotency_key=key,
            created_at=updated_at,
            updated_at=updated_at,
        )
        session.add(referral)
        await session.flush()
        return referral.id


async def give_everyone_a_conversation(sessions: async_sessionmaker[AsyncSession], service_url: str) -> None:
    async with sessions.begin() as session:
        for staff_id in (await session.execute(select(Staff.id))).scalars():
            session.add(
                ConversationRef(
                    staff_id=staff_id,
                    tenant_id="t1",
                    channel_id="msteams",
                    service_url=service_url,
                    conversation_id=f"a:conv-{staff_id}",
                    bot_id="28:bot",
                    user_id=f"29:user-{staff_id}",
                    updated_at=at(MONDAY, 0),
                )
            )


def conversation_of(path: str) -> int:
    """The staff id from a connector path /v3/conversations/a:conv-<id>/activities."""
    return int(path.split("a:conv-")[1].split("/", maxsplit=1)[0])


def card_text(card: dict[str, Any]) -> str:
    """Every text and fact of a card, flattened (for assertions on who sees which pupil)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k in ("text", "title", "value"):
                if isinstance(node.get(k), str):
                    parts.append(node[k])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return "\n".join(parts)


@dataclass
class World:
    staff: dict[str, int]
    overdue: str  # pupil names
    today: str
    soon: str
    later: str
    held: str
    review_today: int


async def world(bot: BotUnderTest) -> World:
    """Five reviews: overdue (Year 4), due today (Year 3), soon (Year 1), beyond the horizon, held."""
    staff = await staff_by_name(bot.sessions)
    await give_everyone_a_conversation(bot.sessions, bot.service_url)
    y4 = await pupil_in(bot.sessions, "Year 4 Falcons")
    y3 = await pupil_in(bot.sessions, "Year 3 Kestrels")
    y1 = await pupil_in(bot.sessions, "Year 1 Wrens")
    y2 = await pupil_in(bot.sessions, "Year 2 Owls")
    y5 = await pupil_in(bot.sessions, "Year 5 Herons")
    await add_review(bot.sessions, y4.id, MONDAY - dt.timedelta(days=3))  # overdue
    review_today = await add_review(bot.sessions, y3.id, MONDAY)  # due today
    await add_review(bot.sessions, y1.id, MONDAY + dt.timedelta(days=7))  # within 10 school days
    await add_review(bot.sessions, y2.id, MONDAY + dt.timedelta(days=21))  # beyond the horizon
    await add_review(
        bot.sessions, y5.id, MONDAY - dt.timedelta(days=1), held_on=MONDAY - dt.timedelta(days=2)
    )
    bot.connector.sent.clear()
    return World(
        staff,
        y4.display_name,
        y3.display_name,
        y1.display_name,
        y2.display_name,
        y5.display_name,
        review_today,
    )
