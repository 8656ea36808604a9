"""Referrals through real HTTP: the request, the SENCO's decision by Action.Execute, the "more information"
loop, the referral's life to the report, and every way a card can be wrong, stale, replayed or forged."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.flows.referrals import request as refer_flow
from cards import texts
from cards.verbs import Verb
from storage.demo import DEMO_TENANT
from storage.models import (
    Attendance,
    AuditEvent,
    ClassPupil,
    InterventionSession,
    Outbox,
    ProvisionType,
    Pupil,
    Referral,
    ReferralEvent,
    ReferralService,
    RegisterEntry,
    School,
    SchoolClass,
    Staff,
    StaffRole,
)
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.cards import card_texts
from tests.support.node import validate_cards

TODAY = dt.datetime.now(ZoneInfo("Europe/London")).date()
OTHER_SENCO = act.User("e0000000-0000-4000-8000-000000000001", "Robin Other")


# -- helpers -----------------------------------------------------------------------------------


async def staff_id(bot: BotUnderTest, user: act.User) -> int:
    async with bot.sessions() as session:
        found = await session.scalar(select(Staff.id).where(Staff.aad_object_id == user.aad_object_id))
    assert found is not None
    return int(found)


async def pupils_of(bot: BotUnderTest, class_name: str) -> list[int]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(ClassPupil.pupil_id)
            .join(SchoolClass, SchoolClass.id == ClassPupil.class_id)
            .where(SchoolClass.name == class_name)
            .order_by(ClassPupil.pupil_id)
        )
    return list(rows.scalars())


async def service_id(bot: BotUnderTest, name: str = "Speech and language therapy") -> int:
    async with bot.sessions() as session:
        found = await session.scalar(select(ReferralService.id).where(ReferralService.name == name))
    assert found is not None
    return int(found)


async def grant_senco(bot: BotUnderTest, user: act.User) -> None:
    sid = await staff_id(bot, user)
    async with bot.sessions.begin() as session:
        session.add(StaffRole(staff_id=sid, role="senco"))


async def other_school_senco(bot: BotUnderTest) -> None:
    async with bot.sessions.begin() as session:
        school = School(tenant_id=DEMO_TENANT, name="Birchwood Primary", urn="999002")
        session.add(school)
        await session.flush()
        staff = Staff(
            school_id=school.id,
            aad_object_id=OTHER_SENCO.aad_object_id,
            display_name=OTHER_SENCO.name,
            email="robin@birchwood.example",
        )
        staff.roles = [StaffRole(role="senco")]
        session.add(staff)


async def hello(bot: BotUnderTest, *users: act.User) -> None:
    """Each person says something, so the bot knows their Teams user id (their conversation reference)."""
    for user in users:
        await bot.post(act.message("help", bot.service_url, user=user))
    bot.connector.sent.clear()


async def open_form(bot: BotUnderTest, text: str = "refer", user: act.User = act.TEACHER) -> dict[str, Any]:
    status, _ = await bot.post(act.message(text, bot.service_url, user=user))
    assert status == 201
    card = bot.connector.messages()[-1].cards[0]
    bot.connector.sent.clear()
    return card


def form_key(card: dict[str, Any]) -> str:
    [action] = card["actions"]
    assert action["data"]["verb"] == Verb.REFER_SUBMIT.value
    return str(action["data"]["submission"])


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found


def error_under(card: dict[str, Any], field: str) -> str | None:
    """The error shown right under an input (the Attention text block that follows it)."""

    def walk(items: list[Any]) -> str | None:
        for i, item in enumerate(items):
            if isinstance(item, dict):
                if item.get("id") == field:
                    nxt = items[i + 1] if i + 1 < len(items) else None
                    if isinstance(nxt, dict) and nxt.get("color") == "Attention":
                        return str(nxt["text"])
                    return None
                for v in item.values():
                    if isinstance(v, list):
                        found = walk(v)
                        if found is not None:
                            return found
                    if isinstance(v, dict):
                        found = walk([v])
                        if found is not None:
                            return found
        return None

    return walk([card])


async def valid_values(bot: BotUnderTest, **overrides: Any) -> dict[str, Any]:
    pupil = (await pupils_of(bot, "Year 4 Falcons"))[0]
    values: dict[str, Any] = {
        "pupil": str(pupil),
        "service": str(await service_id(bot)),
        "concern": "Finds it hard to follow two-step instructions in class.",
        "tried": "Speech and language programme since September.",
        "consent_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "consent_by": "Mrs Smith (mother)",
        "urgency": "soon",
        "note": "",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


async def request_referral(bot: BotUnderTest, user: act.User = act.TEACHER, **overrides: Any) -> int:
    key = form_key(await open_form(bot, user=user))
    values = await valid_values(bot, **overrides)
    status, _ = await bot.post(
        act.submit({"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=user)
    )
    assert status == 201
    async with bot.sessions() as session:
        rid = await session.scalar(select(Referral.id).where(Referral.idempotency_key == key))
    assert rid is not None
    return int(rid)


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


async def referral(bot: BotUnderTest, rid: int) -> Referral:
    async with bot.sessions() as session:
        found = await session.get(Referral, rid)
    assert found is not None
    return found


async def outbox(bot: BotUnderTest, kind: str | None = None) -> list[Outbox]:
    async with bot.sessions() as session:
        stmt = select(Outbox).order_by(Outbox.id)
        if kind:
            stmt = stmt.where(Outbox.kind == kind)
        return list((await session.execute(stmt)).scalars())


async def counts(bot: BotUnderTest) -> tuple[int, int, int]:
    async with bot.sessions() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Referral)) or 0),
            int(await session.scalar(select(func.count()).select_from(ReferralEvent)) or 0),
            int(await session.scalar(select(func.count()).select_from(Outbox)) or 0),
        )


async def audits(bot: BotUnderTest, action: str) -> list[AuditEvent]:
    async with bot.sessions() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


def assert_valid(*cards: dict[str, Any]) -> None:
    assert validate_cards({f"card{i}": c for i, c in enumerate(cards)}) == {}


# -- the whole life ----------------------------------------------------------------------------


async def test_the_whole_life_of_a_referral(bot: BotUnderTest) -> None:
    await hello(bot, act.SENCO, act.TEACHER)
    senco, teacher = await staff_id(bot, act.SENCO), await staff_id(bot, act.TEACHER)
    form = await open_form(bot)
    year4 = await pupils_of(bot, "Year 4 Falcons")
    # Only the teacher's caseload is offered, in a filtered picker.
    assert sorted(int(c["value"]) for c in inputs(form)["pupil"]["choices"]) == year4
    assert inputs(form)["pupil"]["style"] == "filtered"
    assert texts.REFER_CONSENT_WHY in card_texts(form)

    values = await valid_values(bot)
    key = form_key(form)
    status, _ = await bot.post(
        act.submit(
            {"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=act.TEACHER
        )
    )
    assert status == 201
    # The teacher's card is replaced in place with who will approve it.
    [sent] = bot.connector.updates()
    assert sent.path.endswith("/activities/card-1")
    assert texts.REFER_SENT.format(sencos="Alex Wilber") in card_texts(sent.cards[0])
    async with bot.sessions() as session:
        rid = await session.scalar(select(Referral.id).where(Referral.idempotency_key == key))
    r = await referral(bot, rid)
    assert (r.status, r.version, r.requested_by, r.urgency) == ("requested", 1, teacher, "soon")
    assert r.consent_by == "Mrs Smith (mother)" and r.consent_on == TODAY - dt.timedelta(days=2)

    # The SENCO's approval card is an outbox row, with Action.Execute carrying id and version, and refresh.
    [row] = await outbox(bot, "referral_request")
    assert row.recipient_id == senco and row.period_key == f"referral_request:{rid}:{senco}:v1"
    approval = row.payload["card"]
    body = card_texts(approval)
    assert "Finds it hard to follow" in body and "Mrs Smith (mother)" in body and "Soon" in body
    assert approval["actions"][0] == {
        "type": "Action.Execute",
        "title": texts.APPROVE,
        "verb": Verb.REFERRAL_APPROVE.value,
        "data": {"referral": rid, "version": 1},
        "style": "positive",
    }
    assert set(approval["refresh"]["userIds"]) == {act.SENCO.teams_id, act.TEACHER.teams_id}
    assert approval["refresh"]["action"]["verb"] == Verb.REFERRAL_REFRESH.value

    approved = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1})
    assert "Approved by Alex Wilber" in card_texts(approved)
    assert "actions" not in approved  # no buttons left on a decided card
    r = await referral(bot, rid)
    assert (r.status, r.version, r.decided_by) == ("approved", 2, senco)
    assert r.updated_at >= r.created_at
    [decided] = await outbox(bot, "referral_decided")
    assert decided.recipient_id == teacher and decided.period_key == f"referral_decided:{rid}:v2"
    async with bot.sessions() as session:
        pupil = await session.get(Pupil, r.pupil_id)
    assert pupil is not None
    notice_text = texts.REFERRAL_DECIDED_NOTICE.format(
        pupil=pupil.display_name,
        service="Speech and language therapy",
        decision=texts.REFERRAL_APPROVED_WORDS.format(name="Alex Wilber"),
    )
    assert notice_text in card_texts(decided.payload["card"])
    assert "approved by Alex Wilber" in card_texts(decided.payload["card"])

    # The SENCO moves it on, step by step, from `referral <id>`.
    await bot.post(act.message(f"referral {rid}", bot.service_url))
    card = bot.connector.messages()[-1].cards[0]
    seen = [form, approval, approved, decided.payload["card"], card]
    steps: list[tuple[str, dict[str, Any]]] = [
        ("sent", {"on": TODAY.isoformat()}),
        ("accepted", {"on": TODAY.isoformat(), "waiting_weeks": "6"}),
        ("assessed", {"on": TODAY.isoformat()}),
        (
            "report_received",
            {
                "on": TODAY.isoformat(),
                "summary": "Receptive language delay.",
                "recommendations": "Visual timetable.",
            },
        ),
        ("closed", {"note": "Recommendations in the plan."}),
    ]
    for step, fields in steps:
        [action] = card["actions"]
        assert action["data"]["to"] == step
        bot.connector.sent.clear()
        status, _ = await bot.post(act.submit({**action["data"], **fields}, bot.service_url))
        assert status == 201
        [update_] = bot.connector.updates()
        card = update_.cards[0]
        seen.append(card)
        assert texts.PROGRESS_DONE.format(status=texts.REFERRAL_STATUS_WORDS[step]) in card_texts(card)
        assert (await referral(bot, rid)).status == step
    r = await referral(bot, rid)
    assert r.version == 7 and r.waiting_weeks == 6 and r.sent_on == TODAY
    assert r.report_summary == "Receptive language delay." and r.report_recommendations == "Visual timetable."
    assert "actions" not in card
    async with bot.sessions() as session:
        events = (
            (
                await session.execute(
                    select(ReferralEvent).where(ReferralEvent.referral_id == rid).order_by(ReferralEvent.id)
                )
            )
            .scalars()
            .all()
        )
    assert [e.status for e in events] == [
        "requested",
        "approved",
        "sent",
        "accepted",
        "assessed",
        "report_received",
        "closed",
    ]
    assert events[0].actor_id == teacher and all(e.actor_id == senco for e in events[1:])
    assert events[-1].note == "Recommendations in the plan."
    for action in ("referral_requested", "referral_approved", "referral_sent", "referral_closed"):
        [event] = await audits(bot, action)
        assert event.entity_id == str(rid) and event.pupil_id == r.pupil_id
    assert_valid(*seen)


# -- exactly one decision ----------------------------------------------------------------------


async def test_two_sencos_deciding_at_once_record_exactly_one_decision(bot: BotUnderTest) -> None:
    await grant_senco(bot, act.HEAD)
    await hello(bot, act.SENCO, act.HEAD, act.TEACHER)
    rid = await request_referral(bot)
    # Each SENCO gets their own approval card, and the refresh reaches both and the requester.
    rows = await outbox(bot, "referral_request")
    assert len(rows) == 2 and len({r.recipient_id for r in rows}) == 2
    assert set(rows[0].payload["card"]["refresh"]["userIds"]) == {
        act.SENCO.teams_id,
        act.HEAD.teams_id,
        act.TEACHER.teams_id,
    }
    assert texts.REFER_SENT.format(sencos="Alex Wilber and Priya Shah") in card_texts(
        bot.connector.updates()[0].cards[0]
    )

    approve, decline = await asyncio.gather(
        execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1}, act.SENCO),
        execute(bot, Verb.REFERRAL_DECLINE, {"referral": rid, "version": 1, "reason": "Not yet."}, act.HEAD),
    )
    r = await referral(bot, rid)
    assert r.version == 2 and r.status in ("approved", "declined")
    async with bot.sessions() as session:
        decisions = await session.scalar(
            select(func.count()).select_from(ReferralEvent).where(ReferralEvent.status != "requested")
        )
    assert decisions == 1
    assert len(await outbox(bot, "referral_decided")) == 1
    loser = decline if r.status == "approved" else approve
    assert texts.STALE_CARD in card_texts(loser)
    winner_name = "Alex Wilber" if r.status == "approved" else "Priya Shah"
    assert winner_name in card_texts(loser)
    assert_valid(approve, decline)


async def test_double_click_and_stale_card_change_nothing_twice(bot: BotUnderTest) -> None:
    await hello(bot, act.SENCO)
    rid = await request_referral(bot)
    first = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1})
    again = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1})
    late_decline = await execute(bot, Verb.REFERRAL_DECLINE, {"referral": rid, "version": 1, "reason": "No"})
    assert texts.STALE_CARD not in card_texts(first)
    assert texts.STALE_CARD in card_texts(again) and texts.STALE_CARD in card_texts(late_decline)
    r = await referral(bot, rid)
    assert (r.status, r.version, r.decision_note) == ("approved", 2, None)
    assert (await counts(bot))[1] == 2  # requested + approved
    assert len(await outbox(bot, "referral_decided")) == 1
    # A card from the future (version not yet reached) is stale too.
    future = await execute(bot, Verb.REFERRAL_DECLINE, {"referral": rid, "version": 9, "reason": "No"})
    assert texts.STALE_CARD in card_texts(future)
    assert (await referral(bot, rid)).version == 2


# -- forged decisions --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teacher", "other_school_senco", "ta"])
async def test_a_forged_decision_is_refused_audited_and_changes_nothing(bot: BotUnderTest, who: str) -> None:
    await other_school_senco(bot)
    rid = await request_referral(bot)
    before = await counts(bot)
    user = {"teacher": act.TEACHER, "other_school_senco": OTHER_SENCO, "ta": act.TA}[who]
    for verb, extra in (
        (Verb.REFERRAL_APPROVE, {}),
        (Verb.REFERRAL_DECLINE, {"reason": "forged"}),
        (Verb.REFERRAL_ASK, {"question": "forged"}),
    ):
        card = await execute(bot, verb, {"referral": rid, "version": 1, **extra}, user)
        assert card_texts(card) == texts.DECISION_REFUSED
    r = await referral(bot, rid)
    assert (r.status, r.version, r.decided_by) == ("requested", 1, None)
    assert await counts(bot) == before
    refused = await audits(bot, "referral_decision_refused")
    assert len(refused) == 3 and all(e.outcome == "refused" and e.entity_id == str(rid) for e in refused)
    assert refused[0].actor_id == await staff_id(bot, user)


async def test_a_stranger_cannot_decide(bot: BotUnderTest) -> None:
    rid = await request_referral(bot)
    card = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1}, act.STRANGER)
    assert texts.NOT_IN_DIRECTORY in card_texts(card)
    assert (await referral(bot, rid)).status == "requested"
    [event] = await audits(bot, "unknown_person_action")
    assert (event.outcome, event.entity_id) == ("refused", Verb.REFERRAL_APPROVE.value)
    assert event.actor_aad == act.STRANGER.aad_object_id and event.actor_id is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"referral": "x", "version": 1},
        {"referral": 999999, "version": 1},
        {"referral": [1], "version": 1},
    ],
)
async def test_malformed_decisions_are_refused(bot: BotUnderTest, data: dict[str, Any]) -> None:
    rid = await request_referral(bot)
    card = await execute(bot, Verb.REFERRAL_APPROVE, data)
    assert card_texts(card) == texts.DECISION_REFUSED
    assert (await referral(bot, rid)).version == 1


async def test_decline_and_ask_need_their_text(bot: BotUnderTest) -> None:
    rid = await request_referral(bot)
    before = await counts(bot)
    cards = []
    for verb, field, value in (
        (Verb.REFERRAL_DECLINE, "reason", ""),
        (Verb.REFERRAL_DECLINE, "reason", "x" * 2001),
        (Verb.REFERRAL_ASK, "question", "   "),
        (Verb.REFERRAL_ASK, "question", {"not": "text"}),
    ):
        card = await execute(bot, verb, {"referral": rid, "version": 1, field: value})
        cards.append(card)
        # The approval card comes back with the message on the field, still actionable.
        assert card["actions"][0]["verb"] == Verb.REFERRAL_APPROVE.value
        expected = {
            "": texts.FIELD_REQUIRED,
            "   ": texts.FIELD_REQUIRED,
        }.get(value if isinstance(value, str) else "?", None)
        if isinstance(value, dict):
            expected = texts.BAD_CARD
        elif value == "x" * 2001:
            expected = texts.TOO_LONG.format(limit=2000)
        assert error_under(card, field) == expected
    assert await counts(bot) == before
    assert (await referral(bot, rid)).status == "requested"
    assert_valid(*cards)


# -- more information --------------------------------------------------------------------------


async def test_more_information_loop_keeps_the_same_referral(bot: BotUnderTest) -> None:
    await hello(bot, act.SENCO, act.TEACHER)
    rid = await request_referral(bot)
    asked = await execute(
        bot, Verb.REFERRAL_ASK, {"referral": rid, "version": 1, "question": "Has hearing been checked?"}
    )
    assert texts.REFERRAL_STATUS_WORDS["more_info"] in card_texts(
        asked
    ) or "More information asked" in card_texts(asked)
    r = await referral(bot, rid)
    assert (r.status, r.version, r.info_question) == ("more_info", 2, "Has hearing been checked?")
    [question] = await outbox(bot, "referral_question")
    assert question.recipient_id == await staff_id(bot, act.TEACHER)
    assert question.period_key == f"referral_question:{rid}:v2"
    qcard = question.payload["card"]
    assert "Has hearing been checked?" in card_texts(qcard)
    [send] = qcard["actions"]
    assert send["type"] == "Action.Execute" and send["data"] == {"referral": rid, "version": 2}
    assert "answer" in inputs(qcard)

    # The SENCO's old card is now stale; approving from it changes nothing.
    stale = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1})
    assert texts.STALE_CARD in card_texts(stale)
    # Someone else cannot answer; an empty answer is sent back with the message on the field.
    refused = await execute(bot, Verb.REFERRAL_ANSWER, {"referral": rid, "version": 2, "answer": "x"}, act.TA)
    assert card_texts(refused) == texts.ANSWER_REFUSED
    empty = await execute(
        bot, Verb.REFERRAL_ANSWER, {"referral": rid, "version": 2, "answer": ""}, act.TEACHER
    )
    assert error_under(empty, "answer") == texts.FIELD_REQUIRED
    assert (await referral(bot, rid)).version == 2

    answered = await execute(
        bot,
        Verb.REFERRAL_ANSWER,
        {"referral": rid, "version": 2, "answer": "Yes, in May: normal."},
        act.TEACHER,
    )
    assert texts.ANSWER_SENT.format(sencos="Alex Wilber") in card_texts(answered)
    again = await execute(
        bot, Verb.REFERRAL_ANSWER, {"referral": rid, "version": 2, "answer": "again"}, act.TEACHER
    )
    assert texts.STALE_CARD in card_texts(again)
    r = await referral(bot, rid)
    assert (r.status, r.version, r.info_answer) == ("requested", 3, "Yes, in May: normal.")
    requests = await outbox(bot, "referral_request")
    assert [q.period_key.rsplit(":", 1)[1] for q in requests] == ["v1", "v3"]
    new_card = requests[1].payload["card"]
    assert "Yes, in May: normal." in card_texts(new_card) and "Has hearing been checked?" in card_texts(
        new_card
    )
    assert new_card["actions"][0]["data"] == {"referral": rid, "version": 3}
    # The first approval card is pending-looking again (status requested) but its version is old.
    old_card = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1})
    assert texts.STALE_CARD in card_texts(old_card)
    assert old_card["actions"][0]["data"] == {"referral": rid, "version": 3}
    assert (await referral(bot, rid)).status == "requested"
    approved = await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 3})
    assert (await referral(bot, rid)).status == "approved"
    assert (await counts(bot))[0] == 1
    async with bot.sessions() as session:
        notes = (
            await session.execute(select(ReferralEvent.status, ReferralEvent.note).order_by(ReferralEvent.id))
        ).all()
    assert [tuple(n) for n in notes] == [
        ("requested", None),
        ("more_info", "Has hearing been checked?"),
        ("requested", "Yes, in May: normal."),
        ("approved", None),
    ]
    assert_valid(asked, qcard, stale, refused, empty, answered, again, new_card, approved)


# -- refresh -----------------------------------------------------------------------------------


async def test_refresh_shows_each_person_their_view(bot: BotUnderTest) -> None:
    await grant_senco(bot, act.HEAD)
    rid = await request_referral(bot)
    data = {"referral": rid}
    pending = await execute(bot, Verb.REFERRAL_REFRESH, data, act.SENCO, refresh=True)
    assert pending["actions"][0]["verb"] == Verb.REFERRAL_APPROVE.value
    requester = await execute(bot, Verb.REFERRAL_REFRESH, data, act.TEACHER, refresh=True)
    assert "actions" not in requester
    assert texts.REFERRAL_STATUS_WORDS["requested"] in card_texts(requester)

    await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1}, act.SENCO)
    second = await execute(bot, Verb.REFERRAL_REFRESH, data, act.HEAD, refresh=True)
    assert "actions" not in second and "Approved by Alex Wilber on" in card_texts(second)
    requester = await execute(bot, Verb.REFERRAL_REFRESH, data, act.TEACHER, refresh=True)
    assert "Approved by Alex Wilber" in card_texts(requester)
    # An automatic refresh on a decision verb is only a refresh: it decides nothing.
    await execute(
        bot, Verb.REFERRAL_DECLINE, {"referral": rid, "version": 2, "reason": "x"}, act.HEAD, refresh=True
    )
    assert (await referral(bot, rid)).status == "approved"
    # Someone who is neither the requester nor a SENCO of the school sees nothing.
    other = await execute(bot, Verb.REFERRAL_REFRESH, data, act.TA, refresh=True)
    assert card_texts(other) == texts.REFERRAL_NOT_FOUND.format(id=rid)
    [event] = await audits(bot, "referral_view_refused")
    assert event.outcome == "refused"
    assert_valid(pending, requester, second, other)


# -- bad input ---------------------------------------------------------------------------------


FUTURE = (TODAY + dt.timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_on": None}, "consent_on", texts.FIELD_REQUIRED),
        ({"consent_by": None}, "consent_by", texts.FIELD_REQUIRED),
        ({"consent_on": None, "consent_by": None}, "consent_by", texts.FIELD_REQUIRED),
        ({"consent_on": FUTURE}, "consent_on", texts.FIELD_FUTURE_DATE),
        ({"consent_on": "28/11/2026"}, "consent_on", texts.DATE_BAD),
        ({"consent_on": 20261128}, "consent_on", texts.DATE_BAD),
        ({"consent_by": "x" * 201}, "consent_by", texts.TOO_LONG.format(limit=200)),
        ({"concern": ""}, "concern", texts.FIELD_REQUIRED),
        ({"concern": "   "}, "concern", texts.FIELD_REQUIRED),
        ({"concern": "x" * 2001}, "concern", texts.TOO_LONG.format(limit=2000)),
        ({"concern": ["a", "b"]}, "concern", texts.BAD_CARD),
        ({"tried": "x" * 2001}, "tried", texts.TOO_LONG.format(limit=2000)),
        ({"note": {"a": 1}}, "note", texts.BAD_CARD),
        ({"service": "999999"}, "service", texts.SERVICE_UNKNOWN),
        ({"service": "CAMHS"}, "service", texts.SERVICE_UNKNOWN),
        ({"service": None}, "service", texts.FIELD_REQUIRED),
        ({"pupil": "abc"}, "pupil", texts.FIELD_BAD_CHOICE),
        ({"pupil": None}, "pupil", texts.FIELD_REQUIRED),
        ({"pupil": True}, "pupil", texts.FIELD_BAD_CHOICE),
        ({"urgency": "asap"}, "urgency", texts.FIELD_BAD_CHOICE),
        ({"urgency": None}, "urgency", texts.FIELD_BAD_CHOICE),
    ],
)
async def test_bad_input_returns_the_form_with_the_message_on_the_field(
    bot: BotUnderTest, overrides: dict[str, Any], field: str, message: str
) -> None:
    key = form_key(await open_form(bot))
    values = await valid_values(bot, **overrides)
    status, _ = await bot.post(
        act.submit(
            {"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=act.TEACHER
        )
    )
    assert status == 201
    # The submitted form comes back in its place, with the message on the field; no new message.
    assert bot.connector.messages() == []
    card = bot.connector.replaced_card()
    assert error_under(card, field) == message
    # The person's input is kept (text fields that were text), and the same key travels on.
    if isinstance(values.get("concern"), str) and values["concern"].strip():
        assert inputs(card)["concern"]["value"] == values["concern"]
    assert form_key(card) == key
    if field.startswith("consent"):
        assert texts.REFER_CONSENT_WHY in card_texts(card)
    assert await counts(bot) == (0, 0, 0)
    assert_valid(card)


async def test_a_retired_service_cannot_be_referred_to(bot: BotUnderTest) -> None:
    sid = await service_id(bot, "CAMHS")
    async with bot.sessions.begin() as session:
        await session.execute(
            update(ReferralService)
            .where(ReferralService.id == sid)
            .values(retired_at=dt.datetime.now(dt.UTC))
        )
    form = await open_form(bot)
    assert str(sid) not in [c["value"] for c in inputs(form)["service"]["choices"]]
    key = form_key(form)
    values = await valid_values(bot, service=str(sid))
    await bot.post(
        act.submit(
            {"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=act.TEACHER
        )
    )
    assert error_under(bot.connector.replaced_card(), "service") == texts.SERVICE_UNKNOWN
    assert await counts(bot) == (0, 0, 0)


async def test_an_out_of_scope_pupil_is_refused_and_audited(bot: BotUnderTest) -> None:
    year1 = (await pupils_of(bot, "Year 1 Wrens"))[0]
    key = form_key(await open_form(bot))
    values = await valid_values(bot, pupil=str(year1))
    await bot.post(
        act.submit(
            {"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=act.TEACHER
        )
    )
    card = bot.connector.messages()[0].cards[0]
    assert error_under(card, "pupil") == texts.PUPIL_OUT_OF_SCOPE
    assert await counts(bot) == (0, 0, 0)
    [event] = await audits(bot, "referral_refused")
    assert event.outcome == "refused" and event.entity_id == str(year1)
    # The Refer button on another card is checked the same way.
    bot.connector.sent.clear()
    await bot.post(
        act.submit({"verb": Verb.REFER_OPEN.value, "pupil": year1}, bot.service_url, user=act.TEACHER)
    )
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.PUPIL_OUT_OF_SCOPE
    assert len(await audits(bot, "referral_form_refused")) == 1


async def test_a_card_without_its_key_changes_nothing(bot: BotUnderTest) -> None:
    values = await valid_values(bot)
    for key in (None, "short", ["x" * 20], "k" * 65):
        data = {"verb": Verb.REFER_SUBMIT.value, **values}
        if key is not None:
            data["submission"] = key
        await bot.post(act.submit(data, bot.service_url, user=act.TEACHER))
    for sent in bot.connector.messages():
        assert card_texts(sent.cards[0]) == texts.CARD_BROKEN.format(command="refer")
    assert await counts(bot) == (0, 0, 0)


async def test_a_replayed_submission_creates_one_referral(bot: BotUnderTest) -> None:
    await hello(bot, act.SENCO)
    key = form_key(await open_form(bot))
    values = await valid_values(bot)
    activity = act.submit(
        {"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=act.TEACHER
    )
    results = await asyncio.gather(bot.post(activity), bot.post(activity))
    assert [s for s, _ in results] == [201, 201]
    await bot.post(activity)
    assert await counts(bot) == (1, 1, 1)
    updates = bot.connector.updates()
    assert len(updates) == 3
    assert all(texts.REFER_SENT.format(sencos="Alex Wilber") in card_texts(u.cards[0]) for u in updates)
    # Someone else replaying the teacher's key learns nothing and writes nothing.
    bot.connector.sent.clear()
    await bot.post(
        act.submit(
            {"verb": Verb.REFER_SUBMIT.value, "submission": key, **values}, bot.service_url, user=act.TA
        )
    )
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.UNKNOWN_ACTION
    assert await counts(bot) == (1, 1, 1)


# -- the form's evidence -----------------------------------------------------------------------


async def test_refer_a_pupil_prefills_what_has_been_tried_in_the_last_two_terms(bot: BotUnderTest) -> None:
    pupil = (await pupils_of(bot, "Year 4 Falcons"))[3]
    teacher = await staff_id(bot, act.TEACHER)
    async with bot.sessions.begin() as session:
        await session.execute(
            update(Pupil).where(Pupil.id == pupil).values(given_name="Zebedee", family_name="Quill")
        )
        provisions = {p.name: p for p in (await session.execute(select(ProvisionType))).scalars()}
        school_id = await session.scalar(select(School.id))
        recent = TODAY - dt.timedelta(days=10)
        plan = [
            ("Phonics catch-up", recent, 20, True),
            ("Phonics catch-up", recent - dt.timedelta(days=1), 25, True),
            ("Phonics catch-up", recent - dt.timedelta(days=2), 20, False),  # absent: not counted
            ("Lego therapy", recent, 45, True),
            ("Lego therapy", TODAY - dt.timedelta(days=400), 45, True),  # older than two terms
        ]
        for n, (name, held_on, minutes, present) in enumerate(plan):
            s = InterventionSession(
                school_id=school_id,
                provision_type_id=provisions[name].id,
                held_on=held_on,
                minutes=minutes,
                staff_id=teacher,
                idempotency_key=f"test-{n}",
                staff_hourly_cost_pence=0,
                per_pupil_cost_pence=0,
            )
            session.add(s)
            await session.flush()
            session.add(Attendance(session_id=s.id, pupil_id=pupil, present=present))
    form = await open_form(bot, "refer zebedee quill")
    fields = inputs(form)
    assert fields["pupil"]["value"] == str(pupil)
    tried = fields["tried"]["value"]
    assert "Phonics catch-up: 2 sessions, 45 minutes" in tried
    assert "Lego therapy: 1 sessions, 45 minutes" in tried
    [event] = await audits(bot, "referral_form_opened")
    assert event.pupil_id == pupil
    # No interventions: the field is empty and editable.
    other = (await pupils_of(bot, "Year 4 Falcons"))[4]
    bot.connector.sent.clear()
    await bot.post(
        act.submit({"verb": Verb.REFER_OPEN.value, "pupil": other}, bot.service_url, user=act.TEACHER)
    )
    form2 = bot.connector.messages()[0].cards[0]
    assert inputs(form2)["pupil"]["value"] == str(other) and "value" not in inputs(form2)["tried"]
    # A name that matches nobody in the caseload says so.
    nobody = await open_form(bot, "refer nobody-here")
    assert texts.REFER_NO_MATCH.format(text="nobody-here") in card_texts(nobody)
    assert_valid(form, form2, nobody)


# -- moving it on: bad steps -------------------------------------------------------------------


async def test_steps_cannot_be_skipped_reversed_misdated_or_forged(bot: BotUnderTest) -> None:
    rid = await request_referral(bot)
    await execute(bot, Verb.REFERRAL_APPROVE, {"referral": rid, "version": 1})
    bot.connector.sent.clear()
    base = {"verb": Verb.REFERRAL_PROGRESS.value, "referral": rid, "version": 2}
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        ({"to": "closed"}, None, texts.STALE_CARD),  # skipping ahead
        ({"to": "requested"}, None, texts.STALE_CARD),  # going back
        ({"to": "sent", "version": 1, "on": TODAY.isoformat()}, None, texts.STALE_CARD),
        ({"to": "sent"}, "on", texts.FIELD_REQUIRED),
        ({"to": "sent", "on": FUTURE}, "on", texts.FIELD_FUTURE_DATE),
        ({"to": "sent", "on": "2001-01-01"}, "on", None),  # before the referral was made
        (
            {"to": "sent", "on": TODAY.isoformat(), "note": "x" * 2001},
            "note",
            texts.TOO_LONG.format(limit=2000),
        ),
    ]
    seen = []
    for extra, field, message in cases:
        bot.connector.sent.clear()
        await bot.post(act.submit({**base, **extra}, bot.service_url))
        sent = bot.connector.updates() or bot.connector.messages()
        card = sent[0].cards[0]
        seen.append(card)
        if field is None:
            assert message in card_texts(card)
        elif message is None:
            assert (error_under(card, field) or "").startswith(texts.FIELD_BEFORE.split("(")[0])
        else:
            assert error_under(card, field) == message
    r = await referral(bot, rid)
    assert (r.status, r.version) == ("approved", 2)
    # Accepted: the waiting time must be a whole number of weeks in range.
    await bot.post(act.submit({**base, "to": "sent", "on": TODAY.isoformat()}, bot.service_url))
    for weeks in ("abc", "-1", "105", "2.5"):
        bot.connector.sent.clear()
        await bot.post(
            act.submit(
                {**base, "version": 3, "to": "accepted", "on": TODAY.isoformat(), "waiting_weeks": weeks},
                bot.service_url,
            )
        )
        card = bot.connector.replaced_card()
        seen.append(card)
        assert error_under(card, "waiting_weeks") == texts.FIELD_BAD_NUMBER.format(low=0, high=104)
    # Only a SENCO of the school moves it on.
    bot.connector.sent.clear()
    await bot.post(
        act.submit(
            {**base, "version": 3, "to": "accepted", "on": TODAY.isoformat()},
            bot.service_url,
            user=act.TEACHER,
        )
    )
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.DECISION_REFUSED
    assert len(await audits(bot, "referral_progress_refused")) == 1
    r = await referral(bot, rid)
    assert (r.status, r.version) == ("sent", 3)
    # The report needs its summary and recommendations.
    async with bot.sessions.begin() as session:
        await session.execute(update(Referral).where(Referral.id == rid).values(status="assessed", version=5))
    bot.connector.sent.clear()
    await bot.post(
        act.submit(
            {**base, "version": 5, "to": "report_received", "on": TODAY.isoformat(), "summary": ""},
            bot.service_url,
        )
    )
    card = bot.connector.replaced_card()
    seen.append(card)
    assert error_under(card, "summary") == texts.FIELD_REQUIRED
    assert error_under(card, "recommendations") == texts.FIELD_REQUIRED
    assert (await referral(bot, rid)).status == "assessed"
    assert_valid(*seen)


async def test_referral_command_shows_only_what_the_person_may_see(bot: BotUnderTest) -> None:
    rid = await request_referral(bot)
    for text, user, expected in (
        ("referral", act.SENCO, texts.REFERRAL_USAGE),
        ("referral abc", act.SENCO, texts.REFERRAL_USAGE),
        ("referral 999999", act.SENCO, texts.REFERRAL_NOT_FOUND.format(id=999999)),
        (f"referral {rid}", act.TA, texts.REFERRAL_NOT_FOUND.format(id=rid)),
    ):
        bot.connector.sent.clear()
        await bot.post(act.message(text, bot.service_url, user=user))
        assert card_texts(bot.connector.messages()[0].cards[0]) == expected
    bot.connector.sent.clear()
    await bot.post(act.message(f"referral #{rid}", bot.service_url, user=act.TEACHER))
    own = bot.connector.messages()[0].cards[0]
    assert texts.REFERRAL_STATUS_TITLE.format(id=rid) in card_texts(own) and "actions" not in own


# -- lists and services ------------------------------------------------------------------------


async def test_referrals_lists_open_ones_with_their_age_paged(bot: BotUnderTest) -> None:
    first = await request_referral(bot)
    year4 = await pupils_of(bot, "Year 4 Falcons")
    teacher = await staff_id(bot, act.TEACHER)
    ta = await staff_id(bot, act.TA)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(weeks=8)
    async with bot.sessions.begin() as session:
        await session.execute(
            update(Referral).where(Referral.id == first).values(created_at=old, updated_at=old)
        )
        school_id = await session.scalar(select(School.id))
        sid = await service_id(bot)
        for n in range(11):
            session.add(
                Referral(
                    school_id=school_id,
                    pupil_id=year4[n],
                    service_id=sid,
                    requested_by=ta if n % 2 else teacher,
                    concern="c",
                    consent_on=TODAY,
                    consent_by="p",
                    status="closed" if n == 10 else "approved",
                    idempotency_key=f"list-{n}",
                )
            )
    await bot.post(act.message("referrals", bot.service_url))
    page0 = bot.connector.messages()[0].cards[0]
    listed = page0["body"][1]["facts"]
    assert len(listed) == 10 and listed[0]["title"] == f"#{first}"
    assert "opened 8 weeks ago" in listed[0]["value"] and "not moved for 8 weeks" in listed[0]["value"]
    [nxt] = page0["actions"]
    bot.connector.sent.clear()
    await bot.post(act.submit(nxt["data"], bot.service_url))
    page1 = bot.connector.updates()[0].cards[0]
    assert len(page1["body"][1]["facts"]) == 1  # 11 open in all; the closed one is not listed
    assert [a["title"] for a in page1["actions"]] == [texts.PAGE_PREVIOUS]
    # A requester sees only their own.
    bot.connector.sent.clear()
    await bot.post(act.message("referrals", bot.service_url, user=act.TEACHER))
    mine = bot.connector.messages()[0].cards[0]["body"][1]["facts"]
    assert len(mine) == 1 + 5
    bot.connector.sent.clear()
    await bot.post(
        act.submit({"verb": Verb.REFERRALS_PAGE.value, "page": "x"}, bot.service_url, user=act.TEACHER)
    )
    assert len(bot.connector.updates()[0].cards[0]["body"][1]["facts"]) == 6
    assert_valid(page0, page1)


async def test_services_can_be_listed_added_and_retired_by_the_senco(bot: BotUnderTest) -> None:
    async with bot.sessions.begin() as session:
        session.add(ReferralService(school_id=None, name="Virtual school"))
    await bot.post(act.message("services", bot.service_url))
    listing = bot.connector.messages()[0].cards[0]
    assert "Virtual school (offered to every school)" in card_texts(listing)
    seen = [listing]
    for name, message in (
        ("", texts.FIELD_REQUIRED),
        ("camhs", texts.SERVICES_DUPLICATE),
        ("virtual SCHOOL", texts.SERVICES_DUPLICATE),
        ("x" * 121, texts.TOO_LONG.format(limit=120)),
        (["Portage"], texts.BAD_CARD),
    ):
        bot.connector.sent.clear()
        await bot.post(act.submit({"verb": Verb.SERVICE_ADD.value, "name": name}, bot.service_url))
        card = bot.connector.messages()[0].cards[0]
        seen.append(card)
        assert error_under(card, "name") == message
    bot.connector.sent.clear()
    await bot.post(act.submit({"verb": Verb.SERVICE_ADD.value, "name": "  Portage  "}, bot.service_url))
    added = bot.connector.updates()[0].cards[0]
    assert texts.SERVICES_ADDED.format(name="Portage") in card_texts(added)
    portage = await service_id(bot, "Portage")
    bot.connector.sent.clear()
    await bot.post(act.submit({"verb": Verb.SERVICE_RETIRE.value, "service": portage}, bot.service_url))
    assert texts.SERVICES_RETIRED.format(name="Portage") in card_texts(bot.connector.updates()[0].cards[0])
    async with bot.sessions() as session:
        retired = await session.get(ReferralService, portage)
        default = await session.scalar(
            select(ReferralService.id).where(ReferralService.name == "Virtual school")
        )
    assert retired is not None and retired.retired_at is not None
    for bad in (portage, default, "x", 999999):
        bot.connector.sent.clear()
        await bot.post(act.submit({"verb": Verb.SERVICE_RETIRE.value, "service": bad}, bot.service_url))
        assert texts.SERVICES_NOT_FOUND in card_texts(bot.connector.messages()[0].cards[0])
    # Defaults are offered in the referral form; teachers cannot manage services.
    form = await open_form(bot)
    assert str(default) in [c["value"] for c in inputs(form)["service"]["choices"]]
    assert str(portage) not in [c["value"] for c in inputs(form)["service"]["choices"]]
    await bot.post(act.message("services", bot.service_url, user=act.TEACHER))
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.NOT_ALLOWED
    async with bot.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "service_added")
            )
            == 1
        )
    assert_valid(*seen, added)


async def test_a_long_pupil_list_is_narrowed_to_the_register(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole_school = await open_form(bot, user=act.SENCO)
    # 7 * 28 pupils: searched as the SENCO types, the first hundred listed for a client that cannot.
    assert len(inputs(whole_school)["pupil"]["choices"]) == 100
    assert inputs(whole_school)["pupil"]["choices.data"] == {"type": "Data.Query", "dataset": "pupils"}
    assert len(json.dumps(whole_school).encode("utf-16-le")) < 80_000
    monkeypatch.setattr(refer_flow, "MAX_PUPIL_CHOICES", 50)
    narrowed = await open_form(bot, user=act.SENCO)
    async with bot.sessions() as session:
        on_register = set(
            (
                await session.execute(select(RegisterEntry.pupil_id).where(RegisterEntry.status != "N"))
            ).scalars()
        )
        outsider = await session.scalar(select(Pupil).where(Pupil.id.not_in(on_register)).limit(1))
        assert outsider is not None
        await session.execute(
            update(Pupil).where(Pupil.id == outsider.id).values(given_name="Zebedee", family_name="Quill")
        )
        await session.commit()
    assert {int(c["value"]) for c in inputs(narrowed)["pupil"]["choices"]} == on_register
    assert texts.REFER_LONG_LIST in card_texts(narrowed)
    chosen = await open_form(bot, "refer zebedee quill", user=act.SENCO)
    assert str(outsider.id) in [c["value"] for c in inputs(chosen)["pupil"]["choices"]]
    assert inputs(chosen)["pupil"]["value"] == str(outsider.id)


async def test_a_decision_posted_as_action_submit_is_answered_too(bot: BotUnderTest) -> None:
    rid = await request_referral(bot)
    bot.connector.sent.clear()
    await bot.post(
        act.submit({"verb": Verb.REFERRAL_APPROVE.value, "referral": rid, "version": 1}, bot.service_url)
    )
    [sent] = bot.connector.updates()
    assert "Approved by Alex Wilber" in card_texts(sent.cards[0])
    bot.connector.sent.clear()
    await bot.post(
        act.submit({"verb": Verb.REFERRAL_APPROVE.value, "referral": rid, "version": 1}, bot.service_url)
    )
    assert texts.STALE_CARD in card_texts(bot.connector.updates()[0].cards[0])
    assert (await counts(bot))[1] == 2
