"""pupil <name> through real HTTP: fuzzy match in scope, pick list, summary in words, costs for SENCO only."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from cards import texts
from cards.verbs import Verb
from storage.models import AuditEvent, PlanOutcome, Pupil, RegisterEntry, SupportPlan
from tests.conftest import BotUnderTest, Clock
from tests.support import activities as act
from tests.support import school
from tests.support.cards import card_texts
from tests.wire.test_log import NOW, TODAY, send, valid_form


@pytest.fixture(autouse=True)
def frozen(clock: Clock) -> Clock:
    clock.at = NOW
    return clock


def picks_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for b in card["body"] if b["type"] == "ActionSet" for a in b["actions"]]


async def last_card(bot: BotUnderTest) -> dict[str, Any]:
    return bot.connector.messages()[-1].cards[0]


async def test_a_unique_match_shows_the_summary_with_needs_in_words(bot: BotUnderTest) -> None:
    async with bot.sessions() as session:
        row = (
            await session.execute(
                select(RegisterEntry.pupil_id).where(RegisterEntry.need_rank1 == "ASD").limit(1)
            )
        ).scalar_one()
        pupil = await session.get(Pupil, row)
    assert pupil is not None
    await bot.post(act.message(f"pupil {pupil.given_name} {pupil.family_name}", bot.service_url))
    body = card_texts(await last_card(bot))
    if texts.PUPIL_PICK_TITLE in body:  # a namesake: pick them from the list
        picks = picks_of(await last_card(bot))
        [mine] = [a for a in picks if a["data"]["pupil"] == pupil.id]
        await send(bot, mine["data"], user=act.SENCO)
        body = card_texts(await last_card(bot))
    assert pupil.display_name in body
    assert "Autistic spectrum disorder" in body
    assert "EHC plan (E)" in body or "SEN support (K)" in body
    assert texts.PUPIL_NO_PLAN in body and texts.PUPIL_NO_SESSIONS in body
    assert texts.PUPIL_TERM_COST in body  # the SENCO sees costs
    async with bot.sessions() as session:
        events = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "pupil_viewed"))
        ).scalars()
        assert [e.pupil_id for e in events] == [pupil.id]


async def test_summary_shows_sessions_term_hours_plan_outcomes_and_hides_costs_from_teachers(
    bot: BotUnderTest,
) -> None:
    value = await valid_form(bot)
    await send(bot, value)
    pupil_id = int(value["pupils"].split(",")[0])
    async with bot.sessions.begin() as session:
        plan = SupportPlan(pupil_id=pupil_id, status="active", review_on=dt.date(2027, 1, 15))
        session.add(plan)
        await session.flush()
        session.add_all(
            PlanOutcome(plan_id=plan.id, position=i, text=t)
            for i, t in enumerate(["Reads 40 words a minute", "Uses a number line to 20"], start=1)
        )
    await send(bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": pupil_id})
    card = await last_card(bot)
    body = card_texts(card)
    assert "1. Reads 40 words a minute" in body and "2. Uses a number line to 20" in body
    assert (
        f"{TODAY:%a} {TODAY.day} {TODAY:%b %Y} \u00b7 Maths intervention \u00b7 30 min \u00b7 present" in body
    )
    assert "0.5" in body  # hours this term
    assert texts.PUPIL_TERM_COST not in body and "\u00a3" not in body
    # The log button first; a pupil not on the register also gets "Raise a concern" (test_concern.py).
    button = card["actions"][0]
    assert button["data"] == {"verb": Verb.LOG_START.value, "pupil": pupil_id}
    await send(bot, button["data"])
    form = await last_card(bot)
    assert texts.LOG_TITLE in card_texts(form)


async def test_several_matches_give_a_pick_list_within_scope_only(bot: BotUnderTest) -> None:
    mine = await school.names(bot.sessions, await school.caseload(bot.sessions, act.TEACHER))
    family = Counter(n.split(" ")[1] for n in mine.values()).most_common(1)[0][0]
    await bot.post(act.message(f"pupil {family.lower()}", bot.service_url, user=act.TEACHER))
    card = await last_card(bot)
    picks = picks_of(card)
    listed = {a["data"]["pupil"] for a in picks}
    expected = {i for i, n in mine.items() if family.lower() in n.lower()}
    assert len(expected) >= 2
    assert listed <= expected and len(listed) == min(len(expected), 10)


async def test_no_match_says_so(bot: BotUnderTest) -> None:
    await bot.post(act.message("pupil zzzzqx", bot.service_url))
    assert card_texts(await last_card(bot)) == texts.PUPIL_NONE.format(query="zzzzqx")


async def test_a_pupil_outside_the_class_is_not_found_by_name(bot: BotUnderTest) -> None:
    outsider = (await school.not_in_caseload(bot.sessions, act.TEACHER))[0]
    name = (await school.names(bot.sessions, [outsider]))[outsider]
    mine = await school.names(bot.sessions, await school.caseload(bot.sessions, act.TEACHER))
    await bot.post(act.message(f"pupil {name}", bot.service_url, user=act.TEACHER))
    if name not in mine.values():
        assert card_texts(await last_card(bot)) == texts.PUPIL_NONE.format(query=name)


async def test_pupil_without_a_name_asks_for_one(bot: BotUnderTest) -> None:
    await bot.post(act.message("pupil", bot.service_url))
    assert bot.connector.messages()[-1].text == texts.PUPIL_ASK_NAME


@pytest.mark.parametrize("pupil", ["\u00b2", "1\x00", None, [1], True, 0, 10**12])
async def test_a_malformed_pupil_id_is_refused(bot: BotUnderTest, pupil: Any) -> None:
    await send(bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": pupil})
    assert card_texts(await last_card(bot)) == texts.UNKNOWN_ACTION


async def test_a_forged_pupil_id_is_refused_and_audited(bot: BotUnderTest) -> None:
    outsider = (await school.not_in_caseload(bot.sessions, act.TEACHER))[0]
    await send(bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": outsider})
    assert card_texts(await last_card(bot)) == texts.PUPIL_NOT_IN_SCOPE
    async with bot.sessions() as session:
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "pupil_view_refused"))
        ).scalars()
    assert (event.pupil_id, event.outcome) == (outsider, "refused")


async def test_pupil_is_refused_in_a_channel(bot: BotUnderTest) -> None:
    await bot.post(act.channel_mention("pupil amelia", bot.service_url))
    assert card_texts(await last_card(bot)) == texts.PERSONAL_ONLY.format(command="pupil")


async def test_summary_counts_parent_meetings_this_year_and_shows_the_next_review(bot: BotUnderTest) -> None:
    from storage.models import Review

    async with bot.sessions.begin() as session:
        pupil_id = (
            await session.execute(
                select(RegisterEntry.pupil_id)
                .where(RegisterEntry.status == "K")
                .order_by(RegisterEntry.id)
                .limit(1)
            )
        ).scalar_one()
        year_start = dt.date(TODAY.year if TODAY.month >= 9 else TODAY.year - 1, 9, 1)
        session.add_all(
            [
                # Counted: held this academic year with a parent.
                Review(
                    pupil_id=pupil_id,
                    due_on=year_start,
                    held_on=year_start + dt.timedelta(days=20),
                    parent_attended=True,
                ),
                # Not counted: no parent; last academic year.
                Review(
                    pupil_id=pupil_id,
                    due_on=year_start,
                    held_on=year_start + dt.timedelta(days=30),
                    parent_attended=False,
                ),
                Review(
                    pupil_id=pupil_id,
                    due_on=year_start,
                    held_on=year_start - dt.timedelta(days=60),
                    parent_attended=True,
                ),
                # The open review: the next one due.
                Review(pupil_id=pupil_id, due_on=TODAY + dt.timedelta(days=40)),
            ]
        )
    await send(bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": pupil_id}, user=act.SENCO)
    body = card_texts(await last_card(bot))
    assert f"{texts.PUPIL_PARENT_MEETINGS}\n{texts.PUPIL_PARENT_MEETINGS_VALUE.format(n=1)}" in body
    assert texts.PUPIL_NEXT_REVIEW in body and texts.PUPIL_NO_REVIEW not in body
