"""Concerns through real HTTP: a teacher raises one, each SENCO gets an approval card, Accept writes the
register through its own write path (census rules, history), Decline needs a reason; stale, concurrent,
forged, replayed and malformed input change nothing twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from cards import texts
from cards.verbs import Verb
from storage.models import (
    Attendance,
    Concern,
    InterventionSession,
    Outbox,
    ProvisionType,
    RegisterEntry,
    School,
    Staff,
)
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.cards import card_texts
from tests.support.node import validate_cards
from tests.support.sen import (  # noqa: F401  (sen_bot is a fixture)
    TODAY,
    actions,
    audited,
    foreign_pupil,
    inputs,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
    with_ehc_plan,
)
from tests.wire.test_referrals import OTHER_SENCO, grant_senco, hello, other_school_senco

# -- helpers -----------------------------------------------------------------------------------


def latest(bot: BotUnderTest) -> dict[str, Any]:
    """The last card the bot sent or put in place of the clicked one."""
    return [c for r in bot.connector.sent for c in r.cards][-1]


async def press(bot: BotUnderTest, data: dict[str, Any], user: act.User = act.TEACHER) -> dict[str, Any]:
    status, _ = await bot.post(act.submit(data, bot.service_url, user=user))
    assert status == 201
    return latest(bot)


async def execute(
    bot: BotUnderTest, verb: Verb, data: dict[str, Any], user: act.User = act.SENCO, *, refresh: bool = False
) -> dict[str, Any]:
    status, body = await bot.post(
        act.execute(
            verb.value, data, bot.service_url, user=user, trigger="automatic" if refresh else "manual"
        )
    )
    assert status == 200 and body["statusCode"] == 200
    card: dict[str, Any] = body["value"]
    return card


async def n_pupil(bot: BotUnderTest) -> Any:
    """A pupil of the teacher's class who is not on the register."""
    return await pupil_with_status(bot, None, teacher=act.TEACHER)


async def open_form(bot: BotUnderTest, pupil: Any, user: act.User = act.TEACHER) -> dict[str, Any]:
    card = await say(bot, f"concern {pupil.given_name} {pupil.family_name}", user=user)
    [send] = actions(card, Verb.CONCERN_SUBMIT.value)
    return {**inputs(card), **send}


async def raise_concern(bot: BotUnderTest, pupil: Any, user: act.User = act.TEACHER, **values: Any) -> int:
    form = await open_form(bot, pupil, user)
    form.update({"concern": "Cannot settle to written work; avoids reading aloud.", "parents": "yes"})
    form.update(values)
    await press(bot, form, user)
    async with bot.sessions() as s:
        found = await s.scalar(select(Concern.id).where(Concern.idempotency_key == form["submission"]))
    assert found is not None
    return int(found)


async def concern(bot: BotUnderTest, cid: int) -> Concern:
    async with bot.sessions() as s:
        found = await s.get(Concern, cid)
    assert found is not None
    return found


async def outbox(bot: BotUnderTest, kind: str) -> list[Outbox]:
    async with bot.sessions() as s:
        return list(
            (await s.execute(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id))).scalars()
        )


async def entries(bot: BotUnderTest, pupil_id: int) -> list[RegisterEntry]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(RegisterEntry).where(RegisterEntry.pupil_id == pupil_id).order_by(RegisterEntry.id)
        )
        return list(rows.scalars())


async def log_session(bot: BotUnderTest, pupil_id: int) -> None:
    async with bot.sessions.begin() as s:
        provision = await s.scalar(select(ProvisionType).where(ProvisionType.name == "Phonics catch-up"))
        assert provision is not None
        teacher = await s.scalar(select(Staff.id).where(Staff.aad_object_id == act.TEACHER.aad_object_id))
        held = InterventionSession(
            school_id=provision.school_id or await s.scalar(select(School.id)),
            provision_type_id=provision.id,
            held_on=TODAY - dt.timedelta(days=3),
            minutes=20,
            staff_id=teacher,
            idempotency_key="concern-test-session",
            staff_hourly_cost_pence=0,
            per_pupil_cost_pence=0,
        )
        s.add(held)
        await s.flush()
        s.add(Attendance(session_id=held.id, pupil_id=pupil_id, present=True))


def accept(cid: int, version: int = 1, **values: Any) -> dict[str, Any]:
    data = {"concern": cid, "version": version, "status": "K", "need1": "SPLD", "need2": "none"}
    data["reason"] = "Assessment confirms a specific learning difficulty."
    data.update(values)
    return data


def assert_valid(*cards: dict[str, Any]) -> None:
    assert validate_cards({f"card{i}": c for i, c in enumerate(cards)}) == {}


# -- the whole life ----------------------------------------------------------------------------


async def test_raise_accept_writes_the_register_keeps_history_and_tells_the_teacher(
    sen_bot: BotUnderTest,
) -> None:
    bot = sen_bot
    await hello(bot, act.SENCO, act.TEACHER)
    pupil = await n_pupil(bot)
    before = await entries(bot, pupil.id)
    await log_session(bot, pupil.id)
    form_card = await say(bot, f"concern {pupil.given_name} {pupil.family_name}", user=act.TEACHER)
    assert texts.CONCERN_TITLE.format(pupil=f"{pupil.given_name} {pupil.family_name}") in card_texts(
        form_card
    )
    assert "Phonics catch-up" in inputs(form_card)["evidence"]  # prefilled from logged interventions
    cid = await raise_concern(bot, pupil, parents_on=TODAY.isoformat())
    sent = latest(bot)
    assert texts.CONCERN_SENT.format(sencos=act.SENCO.name) in card_texts(sent)
    c = await concern(bot, cid)
    assert (c.status, c.version, c.parents_spoken, c.parents_spoken_on) == ("requested", 1, True, TODAY)
    [request] = await outbox(bot, "concern_request")
    approval = request.payload["card"]
    assert texts.CONCERN_APPROVAL_TITLE in card_texts(approval)
    assert set(approval["refresh"]["userIds"]) == {act.SENCO.teams_id, act.TEACHER.teams_id}
    assert (await audited(bot, "concern_raised"))[0].pupil_id == pupil.id

    # Opening the card later (refresh) shows the SENCO the decision; the teacher a read-only view.
    senco_view = await execute(bot, Verb.CONCERN_REFRESH, {"concern": cid}, refresh=True)
    teacher_view = await execute(bot, Verb.CONCERN_REFRESH, {"concern": cid}, act.TEACHER, refresh=True)
    assert texts.CONCERN_ACCEPT in card_texts(senco_view)
    assert texts.CONCERN_ACCEPT not in card_texts(teacher_view)

    done = await execute(bot, Verb.CONCERN_ACCEPT, accept(cid, need2="SLCN"))
    assert texts.CONCERN_STATUS_WORDS["accepted"] in card_texts(done)
    c = await concern(bot, cid)
    assert (c.status, c.version, c.decided_by is not None) == ("accepted", 2, True)
    after = await entries(bot, pupil.id)
    assert len(after) == len(before) + 1
    new = after[-1]
    assert (new.status, new.need_rank1, new.need_rank2, new.ended_on) == ("K", "SPLD", "SLCN", None)
    assert new.reason == accept(cid)["reason"] and new.idempotency_key == f"concern-{cid}"
    assert all(e.ended_on == TODAY for e in after[:-1])  # history kept: earlier entries ended, not rewritten
    assert len(await audited(bot, "register_changed")) == 1
    [notice] = await outbox(bot, "concern_decided")
    assert notice.recipient_id == c.raised_by
    told = card_texts(notice.payload["card"])
    assert "is now on the register as SEN support (K) by " in told and "(SEN support (" not in told
    history = await press(bot, {"verb": Verb.REGISTER_HISTORY.value, "pupil_id": pupil.id}, act.SENCO)
    assert accept(cid)["reason"] in card_texts(history)
    assert_valid(form_card, sent, approval, senco_view, teacher_view, done, notice.payload["card"])


async def test_decline_needs_a_reason_and_tells_the_teacher(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    cid = await raise_concern(bot, pupil)
    missing = await execute(bot, Verb.CONCERN_DECLINE, {"concern": cid, "version": 1, "decline_reason": " "})
    assert texts.CONCERN_REASON_REQUIRED in card_texts(missing)
    assert (await concern(bot, cid)).status == "requested"
    done = await execute(
        bot, Verb.CONCERN_DECLINE, {"concern": cid, "version": 1, "decline_reason": "Progressing well now."}
    )
    c = await concern(bot, cid)
    assert (c.status, c.version, c.decision_note) == ("declined", 2, "Progressing well now.")
    assert await entries(bot, pupil.id) == [] or all(e.status == "N" for e in await entries(bot, pupil.id))
    [notice] = await outbox(bot, "concern_decided")
    assert "Progressing well now." in card_texts(notice.payload["card"])
    assert_valid(missing, done, notice.payload["card"])


# -- exactly one decision ----------------------------------------------------------------------


async def test_two_sencos_accepting_at_once_record_exactly_one_decision(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    await grant_senco(bot, act.HEAD)
    pupil = await n_pupil(bot)
    await with_ehc_plan(bot, pupil.id)
    before = len(await entries(bot, pupil.id))
    cid = await raise_concern(bot, pupil)
    assert len(await outbox(bot, "concern_request")) == 2  # one approval card per SENCO
    first, second = await asyncio.gather(
        execute(bot, Verb.CONCERN_ACCEPT, accept(cid), act.SENCO),
        execute(bot, Verb.CONCERN_ACCEPT, accept(cid, status="E", need1="ASD"), act.HEAD),
    )
    c = await concern(bot, cid)
    assert (c.status, c.version) == ("accepted", 2)
    assert len(await entries(bot, pupil.id)) == before + 1
    assert len(await outbox(bot, "concern_decided")) == 1
    assert sum(texts.CONCERN_STALE in card_texts(x) for x in (first, second)) == 1
    assert_valid(first, second)


async def test_a_stale_or_double_clicked_card_changes_nothing_twice(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    cid = await raise_concern(bot, pupil)
    await execute(bot, Verb.CONCERN_ACCEPT, accept(cid))
    count = len(await entries(bot, pupil.id))
    again = await execute(bot, Verb.CONCERN_ACCEPT, accept(cid))
    late = await execute(bot, Verb.CONCERN_DECLINE, {"concern": cid, "version": 1, "decline_reason": "No"})
    future = await execute(bot, Verb.CONCERN_ACCEPT, accept(cid, version=9))
    for card in (again, late, future):
        assert texts.CONCERN_STALE in card_texts(card)
    c = await concern(bot, cid)
    assert (c.status, c.version) == ("accepted", 2)
    assert len(await entries(bot, pupil.id)) == count
    assert len(await outbox(bot, "concern_decided")) == 1
    assert_valid(again, late)


@pytest.mark.parametrize("who", ["teacher", "other_school_senco"])
async def test_a_forged_decision_is_refused_audited_and_changes_nothing(
    sen_bot: BotUnderTest, who: str
) -> None:
    bot = sen_bot
    await other_school_senco(bot)
    pupil = await n_pupil(bot)
    cid = await raise_concern(bot, pupil)
    user = {"teacher": act.TEACHER, "other_school_senco": OTHER_SENCO}[who]
    for verb, data in (
        (Verb.CONCERN_ACCEPT, accept(cid)),
        (Verb.CONCERN_DECLINE, {"concern": cid, "version": 1, "decline_reason": "forged"}),
    ):
        card = await execute(bot, verb, data, user)
        assert card_texts(card) == texts.CONCERN_REFUSED
    c = await concern(bot, cid)
    assert (c.status, c.version, c.decided_by) == ("requested", 1, None)
    refused = await refusals(bot, "concern_decision_refused")
    assert len(refused) == 2 and all(e.entity_id == str(cid) for e in refused)
    # The other school's SENCO cannot even look at it.
    if who == "other_school_senco":
        card = await execute(bot, Verb.CONCERN_REFRESH, {"concern": cid}, user, refresh=True)
        assert card_texts(card) == texts.CONCERN_NOT_FOUND.format(id=cid)


@pytest.mark.parametrize(
    "data",
    [{}, {"concern": "x", "version": 1}, {"concern": 999999, "version": 1}, {"concern": [1], "version": 1}],
)
async def test_malformed_decisions_are_refused(sen_bot: BotUnderTest, data: dict[str, Any]) -> None:
    card = await execute(sen_bot, Verb.CONCERN_ACCEPT, data)
    assert card_texts(card) == texts.CONCERN_REFUSED
    assert len(await refusals(sen_bot, "concern_decision_refused")) == 1


# -- census rules on accept --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": "E", "need1": "NSA"}, texts.NSA_ONLY_K),
        ({"need1": ""}, texts.NEED_REQUIRED),
        ({"need1": "SPLD", "need2": "SPLD"}, texts.NEED_SAME),
        ({"status": "S"}, texts.STATUS_S),
        ({"need1": "ZZZ"}, texts.NEED_UNKNOWN),
        ({"reason": ""}, texts.REASON_REQUIRED),
        ({"status": 7}, texts.BAD_CARD),
    ],
)
async def test_accept_applies_every_census_rule(
    sen_bot: BotUnderTest, values: dict[str, Any], message: str
) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    count = len(await entries(bot, pupil.id))
    cid = await raise_concern(bot, pupil)
    card = await execute(bot, Verb.CONCERN_ACCEPT, accept(cid, **values))
    assert message in card_texts(card)
    assert (await concern(bot, cid)).status == "requested"
    assert len(await entries(bot, pupil.id)) == count
    assert not await outbox(bot, "concern_decided")
    assert_valid(card)


async def test_a_pupil_put_on_the_register_meanwhile_cannot_be_accepted(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    cid = await raise_concern(bot, pupil)
    async with bot.sessions.begin() as s:
        s.add(RegisterEntry(pupil_id=pupil.id, status="K", need_rank1="MLD", started_on=TODAY, reason="x"))
    card = await execute(bot, Verb.CONCERN_ACCEPT, accept(cid))
    assert "now on the register" in card_texts(card)
    assert (await concern(bot, cid)).status == "requested"


# -- bad input when raising --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"concern": ""}, "concern", texts.FIELD_REQUIRED),
        ({"concern": "x" * 2001}, "concern", texts.TOO_LONG.format(limit=2000)),
        ({"concern": 5}, "concern", texts.BAD_CARD),
        ({"evidence": ["a"]}, "evidence", texts.BAD_CARD),
        ({"need": "ZZZ"}, "need", texts.NEED_UNKNOWN),
        ({"parents": "maybe"}, "parents", texts.BAD_CARD),
        ({"parents_on": "2026-13-40"}, "parents_on", texts.DATE_BAD),
        ({"parents_on": "2099-01-01"}, "parents_on", texts.FIELD_FUTURE_DATE),
    ],
)
async def test_bad_input_returns_the_form_with_the_message(
    sen_bot: BotUnderTest, values: dict[str, Any], field: str, message: str
) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    form = await open_form(bot, pupil)
    form.update({"concern": "Struggles with reading.", **values})
    card = await press(bot, form)
    assert message in card_texts(card)
    async with bot.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Concern)) == 0
    assert not await outbox(bot, "concern_request")
    if isinstance(values.get("concern"), str):
        assert_valid(card)


async def test_a_pupil_already_on_the_register_is_told_so(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    k = await pupil_with_status(bot, "K", teacher=act.TEACHER)
    card = await say(bot, f"concern {k.given_name} {k.family_name}", user=act.TEACHER)
    expected = texts.CONCERN_ALREADY_ON.format(
        pupil=f"{k.given_name} {k.family_name}", status=texts.STATUS_LABELS["K"]
    )
    assert expected in card_texts(card)
    forged = {"verb": Verb.CONCERN_SUBMIT.value, "pupil_id": k.id, "submission": "b" * 32, "concern": "x"}
    card = await press(bot, forged)
    assert expected in card_texts(card)
    async with bot.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Concern)) == 0


async def test_an_out_of_scope_pupil_is_refused_and_audited(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    other = await foreign_pupil(bot)
    data = {"verb": Verb.CONCERN_SUBMIT.value, "pupil_id": other, "submission": "c" * 32, "concern": "x"}
    card = await press(bot, data)
    assert texts.OUT_OF_SCOPE in card_texts(card)
    [refused] = await refusals(bot, "concern_refused")
    assert refused.entity_id == str(other)
    card = await press(bot, {"verb": Verb.CONCERN_OPEN.value, "pupil_id": other})
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert len(await refusals(bot, "concern_form_refused")) == 1
    async with bot.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Concern)) == 0


async def test_head_cannot_raise_and_a_card_without_key_changes_nothing(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    card = await say(bot, f"concern {pupil.given_name}", user=act.HEAD)
    assert texts.NOT_ALLOWED in card_texts(card)
    card = await press(bot, {"verb": Verb.CONCERN_SUBMIT.value, "pupil_id": pupil.id, "concern": "x"})
    assert texts.BAD_CARD in card_texts(card)


async def test_a_replayed_submission_creates_one_concern(sen_bot: BotUnderTest) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    form = await open_form(bot, pupil)
    form["concern"] = "Struggles with reading."
    await press(bot, form)
    again = await press(bot, form)
    assert texts.CONCERN_SENT.format(sencos=act.SENCO.name) in card_texts(again)
    await asyncio.gather(press(bot, form), press(bot, form))
    async with bot.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Concern)) == 1
    assert len(await outbox(bot, "concern_request")) == 1
    # Someone else replaying the teacher's card is refused.
    card = await press(bot, form, act.TA)
    assert card_texts(card) == texts.UNKNOWN_ACTION
    assert len(await refusals(bot, "concern_replay_refused")) == 1


async def test_the_pupil_card_offers_a_concern_only_for_pupils_not_on_the_register(
    sen_bot: BotUnderTest,
) -> None:
    bot = sen_bot
    pupil = await n_pupil(bot)
    card = await press(bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": pupil.id})
    [button] = actions(card, Verb.CONCERN_OPEN.value)
    form = await press(bot, button)
    assert actions(form, Verb.CONCERN_SUBMIT.value)
    k = await pupil_with_status(bot, "K", teacher=act.TEACHER)
    card = await press(bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": k.id})
    assert not actions(card, Verb.CONCERN_OPEN.value)
    assert_valid(card, form)
