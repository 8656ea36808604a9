"""log through real HTTP: the form, one session exactly once, costs, refusals, bad input, undo, history."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cards import log as log_cards
from cards import texts
from cards.verbs import Verb
from storage.models import Attendance, AuditEvent, InterventionSession, ProvisionType
from tests.conftest import BotUnderTest, Clock
from tests.support import activities as act
from tests.support import school
from tests.support.cards import card_texts

# A Friday afternoon in the autumn term (15:30 in London).
NOW = dt.datetime(2026, 11, 27, 15, 30, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(clock: Clock) -> Clock:
    clock.at = NOW
    return clock


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in card["body"] if b.get("type", "").startswith("Input.")}


def error_under(card: dict[str, Any], field: str) -> str | None:
    """The red message right under an input, if any."""
    body = card["body"]
    for i, block in enumerate(body):
        if block.get("id") == field and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt.get("type") == "TextBlock" and nxt.get("color") == "Attention":
                return str(nxt["text"])
    return None


def submit_data(card: dict[str, Any]) -> dict[str, Any]:
    [action] = [a for a in card["actions"] if a["data"]["verb"] == Verb.LOG_SUBMIT.value]
    return dict(action["data"])


async def open_form(bot: BotUnderTest, user: act.User = act.TEACHER) -> dict[str, Any]:
    status, _ = await bot.post(act.message("log", bot.service_url, user=user))
    assert status == 201
    return bot.connector.messages()[-1].cards[0]


async def counts(bot: BotUnderTest) -> tuple[int, int]:
    async with bot.sessions() as session:
        sessions = await session.scalar(select(func.count()).select_from(InterventionSession))
        rows = await session.scalar(select(func.count()).select_from(Attendance))
    return int(sessions or 0), int(rows or 0)


async def audit_events(bot: BotUnderTest, action: str) -> list[AuditEvent]:
    async with bot.sessions() as session:
        return list((await session.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


async def valid_form(bot: BotUnderTest, user: act.User = act.TEACHER, n: int = 3) -> dict[str, Any]:
    """A filled-in form for `n` pupils of this person's classes, with its key."""
    form = await open_form(bot, user)
    pupils = (await school.caseload(bot.sessions, user))[:n]
    return {
        **submit_data(form),
        "provision": str(await school.provision_id(bot.sessions, "Maths intervention")),
        "held_on": TODAY.isoformat(),
        "minutes": "30",
        "pupils": ",".join(map(str, pupils)),
        "absent": "",
        "note": "Worked on number bonds to 10.",
        "pupil_notes": "",
    }


async def send(bot: BotUnderTest, value: dict[str, Any], user: act.User = act.TEACHER) -> int:
    status, _ = await bot.post(act.submit(value, bot.service_url, user=user))
    return status


# ---------------------------------------------------------------------------------------------
# The form


async def test_log_opens_the_form_with_the_catalogue_and_the_callers_caseload(bot: BotUnderTest) -> None:
    card = await open_form(bot)
    fields = inputs(card)
    assert set(fields) == set(log_cards.FIELDS)
    assert fields["held_on"]["value"] == TODAY.isoformat() and fields["held_on"]["max"] == TODAY.isoformat()
    offered = [c["title"] for c in fields["provision"]["choices"]]
    assert len(offered) == 8 and any(t.startswith("Phonics catch-up (20 min, groups of 4)") for t in offered)
    pupils = fields["pupils"]
    assert pupils["style"] == "filtered" and pupils["isMultiSelect"] is True
    mine = await school.caseload(bot.sessions, act.TEACHER)
    assert sorted(int(c["value"]) for c in pupils["choices"]) == mine
    assert len(mine) == 28
    key = submit_data(card)["submission"]
    assert isinstance(key, str) and len(key) >= 16
    # A second form has a different key: each card is one session.
    assert submit_data(await open_form(bot))["submission"] != key
    assert await audit_events(bot, "caseload_viewed")


async def test_the_senco_may_pick_any_pupil_of_the_school(bot: BotUnderTest) -> None:
    # 196 pupils are more than a card lists: the first 100 are offered, the rest found by type-ahead.
    card = await open_form(bot, act.SENCO)
    pupils = inputs(card)["pupils"]
    assert len(pupils["choices"]) == 100
    assert pupils["choices.data"] == {"type": "Data.Query", "dataset": "pupils"}


async def test_a_retired_provision_disappears_from_the_form(bot: BotUnderTest) -> None:
    async with bot.sessions.begin() as session:
        await session.execute(
            update(ProvisionType).where(ProvisionType.name == "Lego therapy").values(retired_at=NOW)
        )
    offered = [c["title"] for c in inputs(await open_form(bot))["provision"]["choices"]]
    assert len(offered) == 7 and not any("Lego" in t for t in offered)


async def test_welcome_and_help_cards_offer_the_log_button_which_opens_the_form(bot: BotUnderTest) -> None:
    await bot.post(act.installed(bot.service_url, user=act.TA))
    await bot.post(act.message("help", bot.service_url, user=act.TA))
    for sent in bot.connector.messages():
        [button] = [a for a in sent.cards[0]["actions"] if a["title"] == texts.LOG_BUTTON]
        assert button["data"] == {"verb": Verb.LOG_START.value}
    await send(bot, {"verb": Verb.LOG_START.value}, user=act.TA)
    assert texts.LOG_TITLE in card_texts(bot.connector.messages()[-1].cards[0])


async def test_the_head_does_not_log_and_gets_no_button(bot: BotUnderTest) -> None:
    await bot.post(act.message("help", bot.service_url, user=act.HEAD))
    assert "actions" not in bot.connector.messages()[-1].cards[0]
    await bot.post(act.message("log", bot.service_url, user=act.HEAD))
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.NOT_ALLOWED


async def test_log_is_refused_in_a_channel(bot: BotUnderTest) -> None:
    await bot.post(act.channel_mention("log", bot.service_url, user=act.TEACHER))
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.PERSONAL_ONLY.format(command="log")


# ---------------------------------------------------------------------------------------------
# Submitting: one session, costed, confirmed in place


async def test_a_group_session_is_written_costed_and_confirmed_in_place(bot: BotUnderTest) -> None:
    value = await valid_form(bot, act.SENCO)
    ids = [int(i) for i in value["pupils"].split(",")]
    value["absent"] = str(ids[2])
    assert await send(bot, value, user=act.SENCO) == 201
    [replaced] = bot.connector.updates()
    assert replaced.path.endswith("/activities/card-1")
    body = card_texts(replaced.cards[0])
    names = await school.names(bot.sessions, ids)
    assert texts.LOG_DONE_TITLE in body and "Maths intervention" in body
    assert names[ids[0]] in body and names[ids[2]] in body
    # Maths intervention: £15.50/hour × 0.5 h = 775p shared by 2 present (388 + 387) + 50p materials each.
    assert texts.LOG_COST_HEADING in body and "\u00a34.38" in body and "\u00a34.37" in body
    async with bot.sessions() as session:
        row = (await session.execute(select(InterventionSession))).scalar_one()
        rows = {a.pupil_id: a for a in (await session.execute(select(Attendance))).scalars()}
    assert (row.minutes, row.held_on, row.staff_hourly_cost_pence, row.per_pupil_cost_pence) == (
        30,
        TODAY,
        1550,
        50,
    )
    assert row.idempotency_key == value["submission"] and row.note == "Worked on number bonds to 10."
    assert sorted(a.cost_pence for a in rows.values()) == [0, 437, 438]
    assert rows[ids[2]].present is False and rows[ids[2]].cost_pence == 0
    logged = await audit_events(bot, "session_logged")
    assert sorted(e.pupil_id for e in logged) == sorted(ids)
    assert all(e.entity_id == str(row.id) and e.outcome == "ok" for e in logged)


async def test_minutes_left_blank_take_the_provisions_usual_length(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    value["minutes"] = ""
    await send(bot, value)
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.minutes)) == 30


async def test_minutes_as_a_json_number_are_accepted(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    value["minutes"] = 45
    await send(bot, value)
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.minutes)) == 45


async def test_costs_are_hidden_from_teachers_and_tas(bot: BotUnderTest) -> None:
    for user in (act.TEACHER, act.TA):
        value = await valid_form(bot, user)
        await send(bot, value, user=user)
        body = card_texts(bot.connector.updates()[-1].cards[0])
        assert texts.LOG_DONE_TITLE in body
        assert texts.LOG_COST_HEADING not in body and "\u00a3" not in body
    assert (await counts(bot))[0] == 2


async def test_per_pupil_notes_are_stored_against_the_right_pupil(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    ids = [int(i) for i in value["pupils"].split(",")]
    names = await school.names(bot.sessions, ids)
    value["pupil_notes"] = (
        f"{names[ids[0]].upper()}: read the whole page\n\n {names[ids[1]]} : needed prompts"
    )
    await send(bot, value)
    async with bot.sessions() as session:
        notes = dict((await session.execute(select(Attendance.pupil_id, Attendance.note))).all())
    assert notes == {ids[0]: "read the whole page", ids[1]: "needed prompts", ids[2]: None}
    assert "read the whole page" in card_texts(bot.connector.updates()[-1].cards[0])


# ---------------------------------------------------------------------------------------------
# Exactly once


async def test_the_same_card_submitted_again_makes_one_session_and_the_same_confirmation(
    bot: BotUnderTest,
) -> None:
    value = await valid_form(bot)
    for _ in range(3):
        assert await send(bot, value) == 201
    assert await counts(bot) == (1, 3)
    cards_sent = [card_texts(u.cards[0]) for u in bot.connector.updates()]
    assert len(cards_sent) == 3 and cards_sent[0] == cards_sent[1] == cards_sent[2]
    assert len(await audit_events(bot, "session_logged")) == 3  # one per pupil, once


async def test_a_replay_with_changed_fields_still_names_the_first_session(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    await send(bot, value)
    await send(bot, {**value, "minutes": "50", "note": "different"})
    assert await counts(bot) == (1, 3)
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.minutes)) == 30


async def test_two_concurrent_deliveries_of_one_card_make_one_session(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    statuses = await asyncio.gather(*(send(bot, value) for _ in range(4)))
    assert statuses == [201] * 4
    assert await counts(bot) == (1, 3)
    confirmations = [u for u in bot.connector.updates() if texts.LOG_DONE_TITLE in card_texts(u.cards[0])]
    assert len(confirmations) == 4


async def test_someone_elses_key_is_refused_and_shows_nothing(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    await send(bot, value)
    ta_value = {**value, "pupils": str((await school.caseload(bot.sessions, act.TA))[0])}
    await send(bot, ta_value, user=act.TA)
    reply = card_texts(bot.connector.messages()[-1].cards[0])
    assert reply == texts.LOG_KEY_MISSING
    assert await counts(bot) == (1, 3)
    [event] = await audit_events(bot, "session_replay_refused")
    assert event.outcome == "refused"


@pytest.mark.parametrize("key", [None, "", "short", ["a-list-key-xxxxxxxx"], 12345678901, "k" * 65])
async def test_a_missing_or_malformed_key_writes_nothing(bot: BotUnderTest, key: Any) -> None:
    value = await valid_form(bot)
    value["submission"] = key
    await send(bot, value)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.LOG_KEY_MISSING
    assert await counts(bot) == (0, 0)


# ---------------------------------------------------------------------------------------------
# Forged pupil ids


async def test_a_forged_pupil_id_outside_the_caseload_is_refused_audited_and_nothing_written(
    bot: BotUnderTest,
) -> None:
    value = await valid_form(bot)
    outsider = (await school.not_in_caseload(bot.sessions, act.TEACHER))[0]
    value["pupils"] += f",{outsider}"
    before = len(bot.connector.messages())
    await send(bot, value)
    assert await counts(bot) == (0, 0)
    # The submitted form comes back in its place, with the error on the field; no new message.
    reply = bot.connector.replaced_card()
    assert error_under(reply, "pupils") == texts.ERR_PUPILS_OUT_OF_SCOPE
    assert len(bot.connector.messages()) == before
    [event] = await audit_events(bot, "session_log_refused")
    assert (event.pupil_id, event.outcome) == (outsider, "refused")
    assert await audit_events(bot, "session_logged") == []
    # The outsider's name is never shown back.
    outsider_name = (await school.names(bot.sessions, [outsider]))[outsider]
    mine = await school.names(bot.sessions, await school.caseload(bot.sessions, act.TEACHER))
    if outsider_name not in mine.values():
        assert outsider_name not in card_texts(reply)


async def test_an_unknown_pupil_id_is_refused(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    value["pupils"] = "999999"
    await send(bot, value)
    assert error_under(bot.connector.replaced_card(), "pupils") == texts.ERR_PUPILS_OUT_OF_SCOPE
    assert await counts(bot) == (0, 0)


async def test_the_log_button_of_a_pupil_out_of_scope_is_refused(bot: BotUnderTest) -> None:
    outsider = (await school.not_in_caseload(bot.sessions, act.TEACHER))[0]
    await send(bot, {"verb": Verb.LOG_START.value, "pupil": outsider})
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.PUPIL_NOT_IN_SCOPE
    [event] = await audit_events(bot, "log_form_refused")
    assert event.pupil_id == outsider and event.outcome == "refused"


async def test_the_log_button_of_a_pupil_prefills_them(bot: BotUnderTest) -> None:
    mine = (await school.caseload(bot.sessions, act.TEACHER))[4]
    await send(bot, {"verb": Verb.LOG_START.value, "pupil": mine})
    assert inputs(bot.connector.messages()[-1].cards[0])["pupils"]["value"] == str(mine)


# ---------------------------------------------------------------------------------------------
# Bad input: the same card, the message under the field, the input kept, nothing written


def _first_of_year() -> str:
    return (dt.date(2026, 9, 1) - dt.timedelta(days=1)).isoformat()


BAD: dict[str, tuple[str, Any, str]] = {
    "provision missing": ("provision", "", texts.ERR_PROVISION_MISSING),
    "provision not a number": ("provision", "phonics", texts.ERR_PROVISION_UNKNOWN),
    "provision unknown": ("provision", "987654", texts.ERR_PROVISION_UNKNOWN),
    "provision huge id": ("provision", "99999999999999999999", texts.ERR_PROVISION_UNKNOWN),
    "provision a list": ("provision", ["1"], texts.ERR_FIELD_WRONG_TYPE),
    "minutes zero": ("minutes", "0", texts.ERR_MINUTES),
    "minutes over 600": ("minutes", "601", texts.ERR_MINUTES),
    "minutes negative": ("minutes", "-5", texts.ERR_MINUTES),
    "minutes text": ("minutes", "half an hour", texts.ERR_MINUTES),
    "minutes fractional": ("minutes", "30.5", texts.ERR_MINUTES),
    "minutes an object": ("minutes", {"n": 30}, texts.ERR_FIELD_WRONG_TYPE),
    "minutes true": ("minutes", True, texts.ERR_FIELD_WRONG_TYPE),
    "date missing": ("held_on", "", texts.ERR_DATE_MISSING),
    "date malformed": ("held_on", "27/11/2026", texts.ERR_DATE_MALFORMED),
    "date impossible": ("held_on", "2026-02-30", texts.ERR_DATE_MALFORMED),
    "date in the future": ("held_on", (TODAY + dt.timedelta(days=1)).isoformat(), texts.ERR_DATE_FUTURE),
    "date before the year": (
        "held_on",
        _first_of_year(),
        texts.ERR_DATE_BEFORE_YEAR.format(start="Tue 1 Sep 2026"),
    ),
    "date a number": ("held_on", 20261127, texts.ERR_FIELD_WRONG_TYPE),
    "no pupils": ("pupils", "", texts.ERR_PUPILS_MISSING),
    "pupils garbage": ("pupils", "1,two,3", texts.ERR_PUPILS_MALFORMED),
    "pupils a list": ("pupils", [1, 2], texts.ERR_FIELD_WRONG_TYPE),
    "group over 30": (
        "pupils",
        ",".join(str(i) for i in range(1, 32)),
        texts.ERR_GROUP_TOO_BIG.format(max=30),
    ),
    "absent not chosen": ("absent", "999999", texts.ERR_ABSENT_NOT_CHOSEN),
    "note over 2000": ("note", "x" * 2001, texts.ERR_NOTE_TOO_LONG.format(max=2000, length=2001)),
    "note a list": ("note", ["a"], texts.ERR_FIELD_WRONG_TYPE),
    "pupil note no colon": ("pupil_notes", "just a note", texts.ERR_PUPIL_NOTE_LINE),
    "pupil note unknown name": (
        "pupil_notes",
        "Nobody Here: hello",
        texts.ERR_PUPIL_NOTE_NAME.format(name="Nobody Here"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_input_returns_the_same_form_with_the_message_on_the_field(
    bot: BotUnderTest, case: str
) -> None:
    field, bad, message = BAD[case]
    value = await valid_form(bot)
    value[field] = bad
    before = len(bot.connector.messages())
    await send(bot, value)
    assert await counts(bot) == (0, 0)
    # The submitted form comes back in its place (Teams updates that message); no new message.
    reply = bot.connector.replaced_card()
    assert len(bot.connector.messages()) == before
    assert texts.LOG_TITLE in card_texts(reply) and texts.LOG_FIX_BELOW in card_texts(reply)
    assert error_under(reply, field) == message
    assert inputs(reply)[field]["errorMessage"] == message
    # The person's other input is kept, and the same key so a corrected submit is still one session.
    kept = inputs(reply)
    assert submit_data(reply)["submission"] == value["submission"]
    if field != "note":
        assert kept["note"]["value"] == "Worked on number bonds to 10."
    if field != "pupils":
        assert kept["pupils"]["value"] == value["pupils"]
    others = [f for f in log_cards.FIELDS if f != field and error_under(reply, f)]
    assert others == [], others


async def test_bad_input_from_a_card_teams_did_not_name_comes_back_as_a_message(bot: BotUnderTest) -> None:
    """Without replyToId there is no message to update: the form with its errors is sent anew."""
    value = await valid_form(bot)
    before = len(bot.connector.messages())
    activity = act.submit({**value, "minutes": "0"}, bot.service_url, user=act.TEACHER)
    del activity["replyToId"]
    status, _ = await bot.post(activity)
    assert status == 201
    assert bot.connector.updates() == []
    assert len(bot.connector.messages()) == before + 1
    reply = bot.connector.messages()[-1].cards[0]
    assert error_under(reply, "minutes") == BAD["minutes zero"][2]
    assert await counts(bot) == (0, 0)


async def test_a_retired_provision_submitted_from_an_old_card_is_refused(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    async with bot.sessions.begin() as session:
        await session.execute(update(ProvisionType).values(retired_at=NOW))
    await send(bot, value)
    assert await counts(bot) == (0, 0)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.LOG_NO_PROVISIONS


async def test_a_corrected_form_is_then_logged_once(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    await send(bot, {**value, "minutes": "0"})
    await send(bot, value)
    await send(bot, value)
    assert await counts(bot) == (1, 3)


async def test_several_errors_are_all_shown(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    await send(bot, {**value, "provision": "", "minutes": "9999", "pupils": ""})
    reply = bot.connector.replaced_card()
    assert error_under(reply, "provision") == texts.ERR_PROVISION_MISSING
    assert error_under(reply, "minutes") == texts.ERR_MINUTES
    assert error_under(reply, "pupils") == texts.ERR_PUPILS_MISSING


# ---------------------------------------------------------------------------------------------
# Log another like this, undo


async def _logged(bot: BotUnderTest, user: act.User = act.TEACHER) -> int:
    await send(bot, await valid_form(bot, user), user=user)
    async with bot.sessions() as session:
        found = await session.scalar(select(func.max(InterventionSession.id)))
    assert found is not None
    return int(found)


async def test_log_another_like_this_prefills_a_new_form_with_a_new_key(bot: BotUnderTest) -> None:
    value = await valid_form(bot)
    await send(bot, value)
    confirmation = bot.connector.updates()[-1].cards[0]
    [again] = [a for a in confirmation["actions"] if a["title"] == texts.LOG_AGAIN_BUTTON]
    await send(bot, again["data"])
    form = bot.connector.messages()[-1].cards[0]
    fields = inputs(form)
    assert fields["pupils"]["value"] == value["pupils"]
    assert fields["provision"]["value"] == value["provision"] and fields["minutes"]["value"] == 30
    assert submit_data(form)["submission"] != value["submission"]
    await send(bot, {**value, "submission": submit_data(form)["submission"]})
    assert await counts(bot) == (2, 6)


async def test_undo_by_the_same_person_on_the_same_day_marks_the_session_undone(bot: BotUnderTest) -> None:
    session_id = await _logged(bot)
    confirmation = bot.connector.updates()[-1].cards[0]
    [undo] = [a for a in confirmation["actions"] if a["title"] == texts.LOG_UNDO_BUTTON]
    assert undo["data"] == {"verb": Verb.LOG_UNDO.value, "session": session_id}
    await send(bot, undo["data"])
    replaced = bot.connector.updates()[-1].cards[0]
    assert texts.LOG_DONE_UNDONE in card_texts(replaced)
    assert texts.LOG_UNDO_BUTTON not in card_texts(replaced)
    async with bot.sessions() as session:
        row = (await session.execute(select(InterventionSession))).scalar_one()
    assert row.undone_at == NOW  # kept, marked, not deleted
    assert await counts(bot) == (1, 3)
    assert len(await audit_events(bot, "session_undone")) == 3
    await send(bot, undo["data"])
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.LOG_ALREADY_UNDONE


async def test_undo_by_someone_else_is_refused_and_audited(bot: BotUnderTest) -> None:
    session_id = await _logged(bot)
    await send(bot, {"verb": Verb.LOG_UNDO.value, "session": session_id}, user=act.SENCO)
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.LOG_UNDO_NOT_YOURS
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.undone_at)) is None
    refused = await audit_events(bot, "session_undo_refused")
    assert len(refused) == 3 and all(e.outcome == "refused" for e in refused)


async def test_undo_the_next_day_is_refused(bot: BotUnderTest, clock: Clock) -> None:
    session_id = await _logged(bot)
    clock.at = NOW + dt.timedelta(hours=9)  # 00:30 the next day in London
    await send(bot, {"verb": Verb.LOG_UNDO.value, "session": session_id})
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.LOG_UNDO_TOO_LATE
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.undone_at)) is None
    assert await audit_events(bot, "session_undo_refused")


@pytest.mark.parametrize("session_ref", [None, "abc", [1], -1, 0, 10**12, True])
async def test_undo_with_a_malformed_or_unknown_session_changes_nothing(
    bot: BotUnderTest, session_ref: Any
) -> None:
    await _logged(bot)
    await send(bot, {"verb": Verb.LOG_UNDO.value, "session": session_ref})
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.LOG_SESSION_UNKNOWN
    async with bot.sessions() as session:
        assert await session.scalar(select(InterventionSession.undone_at)) is None


# ---------------------------------------------------------------------------------------------
# History


async def test_history_shows_the_callers_own_sessions_twenty_at_a_time(bot: BotUnderTest) -> None:
    template = await valid_form(bot)
    for n in range(23):
        held = TODAY - dt.timedelta(days=n)
        await send(bot, {**template, "submission": f"history-key-{n:04d}", "held_on": held.isoformat()})
    await send(bot, await valid_form(bot, act.TA), user=act.TA)  # someone else's: never listed
    await bot.post(act.message("history", bot.service_url, user=act.TEACHER))
    first = bot.connector.messages()[-1].cards[0]
    lines = [b["text"] for b in first["body"] if "\u00b7" in b.get("text", "")]
    assert len(lines) == 20 and lines[0].startswith("Fri 27 Nov 2026")
    assert all("3 of 3 present" in line for line in lines)
    [older] = first["actions"]
    assert older["title"] == texts.HISTORY_NEXT
    await send(bot, older["data"])
    second = bot.connector.updates()[-1].cards[0]
    lines = [b["text"] for b in second["body"] if "\u00b7" in b.get("text", "")]
    assert len(lines) == 3
    assert [a["title"] for a in second["actions"]] == [texts.HISTORY_PREVIOUS]


async def test_history_when_nothing_was_logged(bot: BotUnderTest) -> None:
    await bot.post(act.message("history", bot.service_url))
    assert texts.LOG_HISTORY_EMPTY in card_texts(bot.connector.messages()[-1].cards[0])


@pytest.mark.parametrize("page", ["\u00b2", "1\x00", -1, 10**9, None, [1], True])
async def test_history_with_a_bad_page_is_refused(bot: BotUnderTest, page: Any) -> None:
    await send(bot, {"verb": Verb.HISTORY_PAGE.value, "page": page})
    assert card_texts(bot.connector.messages()[-1].cards[0]) == texts.HISTORY_BAD_PAGE
