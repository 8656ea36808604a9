"""Every routed card verb, sent hostile data through /api/messages: a clear answer, never an internal error,
and nothing written but the audit trail.

Why a property: a card's data is whatever a client sends (bot/turn/forms.py). Hypothesis draws payloads
that no card the bot built would carry (missing fields, wrong types, "²", ids past the columns' range,
negative numbers, NUL characters, oversized text, another school's pupil) and posts each as the SENCO
(who holds every role a verb needs, so each reaches its handler), as an Action.Submit message or an
Action.Execute invoke.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flows import build_router
from bot.turn.core import InboundKind
from cards import texts
from cards.common import SUBMISSION
from cards.verbs import Verb
from storage.demo import DEMO_TENANT
from storage.models import Base, Pupil, ReferralService, School
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.sen import sen_bot_fixture  # noqa: F401  (the fixture)

ROUTER = build_router()
ROUTED = [v for v in Verb if ROUTER.resolve(InboundKind.SUBMIT, command="", verb=v.value) is not None]
# The card's error text up to the correlation id it carries.
INTERNAL_ERROR = texts.UNEXPECTED_ERROR.split("{")[0]
# The audit trail records refused attempts; every other table must stay as it was.
AUDITED = "audit_event"
# A pupil of another school, made once per test; its id is drawn as one of the hostile ids.
STRANGER_MIS_ID = "hostile-stranger"

# Keys holding an id, a version, a page or a choice value somewhere in the flows' cards.
ID_KEYS = (
    "pupil", "pupil_id", "referral", "version", "concern", "session", "page", "provision", "service",
    "plan_id", "review_id", "entry_id", "task_id", "contact_id", "waiting_weeks", "minutes", "group",
)  # fmt: skip
# Keys a person types or picks in.
TEXT_KEYS = (
    "kind", "to", "name", "body", "reason", "question", "answer", "note", "tried", "consent_on",
    "consent_by", "urgency", "on", "summary", "recommendations", "held_on", "pupils", "absent",
    "pupil_notes", "status", "need1", "need2", "outcome1", "strategies", "review_on", "provisions",
    "done_at", "how", "email", "phone", "preferred", "relationship", "evidence", "need", "parents",
    "parents_on", "carry", "parent_attended", "next_steps", "hourly", "per_pupil", "broad_area",
)  # fmt: skip

OTHER = st.one_of(
    st.none(),
    st.booleans(),
    st.lists(st.integers(min_value=1, max_value=3), max_size=2),
    st.dictionaries(st.just("n"), st.integers(), max_size=1),
)
HOSTILE_ID = st.one_of(
    OTHER,
    st.sampled_from(
        [
            "²", "1²", "١٢", "1\x00", "\x00", "", " ", "-1", "1.5", "0x10", "9" * 5000,
            str(2**31), str(2**63), 2**31, 2**63, 2**64, -1, -(2**63), 1.5, 1e300, float("nan"),
            "STRANGER",
        ]
    ),
)  # fmt: skip
HOSTILE_TEXT = st.one_of(
    OTHER,
    st.integers(),
    st.sampled_from(["", " ", "\x00", " \x00 \x00", "\x00" + "x" * 20_001, "x" * 20_001 + "\x00"]),
)
# A well-formed key too, so the forms get past it to their fields.
HOSTILE_KEY = st.one_of(
    st.uuids().map(lambda u: u.hex),
    OTHER,
    st.sampled_from(["", "\x00" * 16, "short", "k" * 65, "key with spaces!", "ключ" * 4]),
)


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(ID_KEYS), unique=True, max_size=6)):
        data[key] = draw(HOSTILE_ID)
    for key in draw(st.lists(st.sampled_from(TEXT_KEYS), unique=True, max_size=6)):
        data[key] = draw(HOSTILE_TEXT)
    if draw(st.booleans()):
        data[SUBMISSION] = draw(HOSTILE_KEY)
    return data


async def row_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Every table's row count, in one statement (the property runs many examples)."""
    tables = [t for t in Base.metadata.sorted_tables if t.name != AUDITED]
    query = union_all(
        *(select(literal(t.name), select(func.count()).select_from(t).scalar_subquery()) for t in tables)
    )
    async with sessions() as session:
        return {name: count for name, count in (await session.execute(query)).all()}


async def stranger_pupil(bot: BotUnderTest) -> int:
    async with bot.sessions.begin() as session:
        school = School(tenant_id=DEMO_TENANT, name="Birchwood Primary", urn="999003")
        session.add(school)
        await session.flush()
        pupil = Pupil(
            school_id=school.id,
            mis_id=STRANGER_MIS_ID,
            given_name="Sam",
            family_name="Other",
            year_group=3,
            date_of_birth=dt.date(2018, 1, 1),
        )
        session.add(pupil)
        await session.flush()
        return pupil.id


def resolve(data: dict[str, Any], stranger: int) -> dict[str, Any]:
    return {k: stranger if v == "STRANGER" else v for k, v in data.items()}


@pytest.mark.parametrize("verb", ROUTED, ids=lambda v: v.value)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=payloads(), execute=st.booleans())
async def test_hostile_card_data_is_refused_cleanly(
    sen_bot: BotUnderTest, verb: Verb, data: dict[str, Any], execute: bool
) -> None:
    bot = sen_bot
    stranger = await _once(bot)
    before = await row_counts(bot.sessions)
    bot.connector.sent.clear()
    payload = resolve(data, stranger)
    if execute:
        activity = act.execute(verb.value, payload, bot.service_url)
    else:
        activity = act.submit({**payload, "verb": verb.value}, bot.service_url)
    status, body = await bot.post(activity)
    assert status < 500, (verb, payload, status)
    said = json.dumps([body, *(r.body for r in bot.connector.sent)], ensure_ascii=False)
    assert INTERNAL_ERROR not in said, (verb, payload)
    assert await row_counts(bot.sessions) == before, (verb, payload)


async def _once(bot: BotUnderTest) -> int:
    """The stranger pupil and the SENCO's conversation reference, made before the first example only
    (the examples share the test's bot): both are writes the property must not see."""
    async with bot.sessions() as session:
        found = await session.scalar(select(Pupil.id).where(Pupil.mis_id == STRANGER_MIS_ID))
    if found is not None:
        return found
    await bot.post(act.message("help", bot.service_url))
    return await stranger_pupil(bot)


async def test_nul_characters_are_dropped_from_text_before_it_is_stored(sen_bot: BotUnderTest) -> None:
    """PostgreSQL refuses NUL in text; the reader drops it, so the name is kept without it."""
    status, _ = await sen_bot.post(
        act.submit({"verb": Verb.SERVICE_ADD.value, "name": "Port\x00age\x00"}, sen_bot.service_url)
    )
    assert status < 500
    async with sen_bot.sessions() as session:
        names = set((await session.execute(select(ReferralService.name))).scalars())
    assert "Portage" in names
    assert not any("\x00" in n for n in names)
