"""log and history: staff record an intervention session for one pupil or a group, exactly once.

Why it is built this way:
- every pupil id in a submission is checked on the server against the caller's caseload; an id outside
  it is refused, audited in its own transaction (the turn rolls back) and nothing is written;
- the card carries an idempotency key made when the card was built; storage.queries.log inserts with
  ON CONFLICT DO NOTHING on it, so any number of deliveries of one card make one session, and each of
  them gets the same confirmation back;
- costs are computed once here (bot/rules/costs.py) with the provision's rates of the day and stored;
- bad input comes back as the same card, the person's input kept and the message under the field.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot.rules.calendar import academic_year_start, school_today
from bot.rules.costs import split_costs
from bot.rules.policy import LOGGERS, pupil_scope, sees_costs
from bot.rules.sessions import MAX_GROUP, MAX_MINUTES
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Card, Outbound, UserError
from bot.turn.router import Router
from cards import log as cards
from cards import texts
from cards.common import MAX_TEXT
from cards.forms import pupil_options
from cards.log import LogForm, ProvisionChoice, PupilChoice
from cards.verbs import Verb
from storage.queries import log as queries
from storage.queries import pupils as pupil_queries
from storage.queries.log import AttendanceView, NewAttendance, ProvisionRow, SessionView

# A card's choice lists stay well under Teams' message size: beyond this, the SEN register only.
MAX_CHOICES = 300
HISTORY_PAGE_SIZE = 20


def add_routes(router: Router) -> None:
    router.command("log", summary=texts.LOG_SUMMARY, roles=LOGGERS)(start)
    router.verb(Verb.LOG_START, roles=LOGGERS)(start)
    router.verb(Verb.LOG_SUBMIT, roles=LOGGERS)(submit_log)
    router.verb(Verb.LOG_AGAIN, roles=LOGGERS)(log_again)
    router.verb(Verb.LOG_UNDO, roles=LOGGERS)(undo)
    router.command("history", summary=texts.HISTORY_SUMMARY, roles=LOGGERS)(show_history)
    router.verb(Verb.HISTORY_PAGE, roles=LOGGERS)(show_history)


# ---------------------------------------------------------------------------------------------
# Keys


def new_key() -> str:
    return secrets.token_urlsafe(18)


# ---------------------------------------------------------------------------------------------
# Showing the form


@dataclass(frozen=True)
class _Choices:
    provisions: list[ProvisionChoice]
    pupils: list[PupilChoice]
    search: bool = False


async def _choices(turn: TurnContext, keep: Collection[int] = ()) -> _Choices:
    rows = await queries.provisions(turn.session, turn.actor.school_id)
    scope = pupil_scope(turn.actor)
    pupils = await pupil_queries.caseload(turn.session, scope)
    total = len(pupils)
    if total > MAX_CHOICES:
        pupils = await pupil_queries.caseload(turn.session, scope, sen_only=True)
    turn.audit("caseload_viewed", entity="log_form")
    options = pupil_options(pupils, keep, total=total)
    return _Choices(
        provisions=[ProvisionChoice(p.id, p.name, p.default_minutes, p.default_group_size) for p in rows],
        pupils=[PupilChoice(int(value), label) for value, label in options.choices],
        search=options.search,
    )


async def _form_card(turn: TurnContext, form: LogForm, errors: Mapping[str, str] | None = None) -> Card:
    chosen = f"{form.pupils},{form.absent}".split(",")
    choices = await _choices(turn, keep={int(i) for i in chosen if i.strip().isdigit() and len(i) < 12})
    if not choices.provisions:
        raise UserError(texts.LOG_NO_PROVISIONS)
    if not choices.pupils:
        raise UserError(texts.LOG_NO_PUPILS)
    return cards.log_form_card(
        form=form,
        provisions=choices.provisions,
        pupils=choices.pupils,
        today=turn.today,
        errors=errors,
        pupil_search=choices.search,
    )


async def start(turn: TurnContext) -> Outbound:
    """`log`, the Log intervention button, and the button on a pupil's summary (prefilled with them)."""
    form = LogForm(key=new_key(), held_on=turn.today.isoformat())
    if "pupil" in turn.inbound.data:
        pupil_id = forms.number(turn.inbound.data.get("pupil"))
        if pupil_id is None:
            raise UserError(texts.UNKNOWN_ACTION)
        allowed = await pupil_queries.allowed_ids(turn.session, pupil_scope(turn.actor), [pupil_id])
        if pupil_id not in allowed:
            await turn.audit_refused("log_form_refused", entity="pupil", pupil_ids=[pupil_id])
            raise UserError(texts.PUPIL_NOT_IN_SCOPE)
        form = LogForm(key=form.key, held_on=form.held_on, pupils=str(pupil_id))
    return Outbound.card(await _form_card(turn, form))


async def log_again(turn: TurnContext) -> Outbound:
    """A new form (new key) like a logged session: its provision, minutes and pupils still in scope."""
    view = await _own_session(turn, "log_again_refused")
    still = await pupil_queries.allowed_ids(
        turn.session, pupil_scope(turn.actor), [a.pupil_id for a in view.attendance]
    )
    provision = await queries.provision(turn.session, turn.actor.school_id, view.provision_id)
    form = LogForm(
        key=new_key(),
        provision="" if provision is None or provision.retired else str(provision.id),
        held_on=turn.today.isoformat(),
        minutes=str(view.minutes),
        pupils=",".join(str(i) for i in sorted(still)),
    )
    return Outbound.card(await _form_card(turn, form))


# ---------------------------------------------------------------------------------------------
# Reading the submission


@dataclass
class _Parsed:
    kept: dict[str, str]
    errors: dict[str, str]


def _read_fields(data: Mapping[str, Any]) -> _Parsed:
    """Every field as text, for showing back; a wrong-typed field (a list, an object) is an error on it."""
    kept: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in cards.FIELDS:
        value = data.get(name)
        if value is None:
            kept[name] = ""
        elif isinstance(value, str):
            kept[name] = value.replace("\x00", "")
        elif name == cards.F_MINUTES and isinstance(value, int | float) and not isinstance(value, bool):
            kept[name] = str(int(value)) if float(value).is_integer() else str(value)
        else:
            kept[name] = ""
            errors[name] = texts.ERR_FIELD_WRONG_TYPE
    return _Parsed(kept, errors)


def _parse_date(text: str, today: dt.date) -> tuple[dt.date | None, str | None]:
    if not text.strip():
        return None, texts.ERR_DATE_MISSING
    date = forms.iso_date(text)
    if date is None:
        return None, texts.ERR_DATE_MALFORMED
    if date > today:
        return None, texts.ERR_DATE_FUTURE
    start = academic_year_start(today)
    if date < start:
        return None, texts.ERR_DATE_BEFORE_YEAR.format(start=cards.day(start))
    return date, None


def _parse_minutes(text: str, provision: ProvisionRow | None) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return (provision.default_minutes if provision else None), None
    minutes = forms.number(text, high=MAX_MINUTES)
    if minutes is None:
        return None, texts.ERR_MINUTES
    return minutes, None


def _normal(name: str) -> str:
    return " ".join(name.lower().split())


def _parse_pupil_notes(text: str, names: Mapping[int, str]) -> tuple[dict[int, str], str | None]:
    """Lines "Name: note" → pupil id → note; a name is a full name, or a first name unique in the group."""
    full = {_normal(n): pid for pid, n in names.items()}
    first: dict[str, list[int]] = {}
    for pid, n in names.items():
        first.setdefault(_normal(n).split(" ")[0], []).append(pid)
    notes: dict[int, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, note = line.partition(":")
        if not sep or not name.strip() or not note.strip():
            return {}, texts.ERR_PUPIL_NOTE_LINE
        key = _normal(name)
        who = full.get(key)
        candidates = first.get(key, [])
        if who is None and len(candidates) == 1:
            who = candidates[0]
        if who is None:
            return {}, texts.ERR_PUPIL_NOTE_NAME.format(name=name.strip()[:60])
        joined = f"{notes[who]}\n{note.strip()}" if who in notes else note.strip()
        if len(joined) > MAX_TEXT:
            return {}, texts.ERR_NOTE_TOO_LONG.format(max=MAX_TEXT, length=len(joined))
        notes[who] = joined
    return notes, None


# ---------------------------------------------------------------------------------------------
# Submitting


async def _confirmation_of(turn: TurnContext, session_id: int) -> Outbound:
    view = await queries.session_view(turn.session, session_id, turn.actor.school_id)
    if view is None or view.staff_id != turn.actor.staff_id:
        # Someone else's key (a card forwarded or forged): say nothing about that session.
        await turn.audit_refused(
            "session_replay_refused", entity="intervention_session", entity_id=session_id
        )
        raise UserError(texts.LOG_KEY_MISSING)
    return Outbound.replacing(cards.log_done_card(view, show_costs=sees_costs(turn.actor)))


@dataclass
class _Checked:
    """A submission after validation: the values, and what is wrong (field → message)."""

    kept: dict[str, str]
    errors: dict[str, str]
    provision: ProvisionRow | None = None
    held_on: dt.date | None = None
    minutes: int | None = None
    chosen: tuple[int, ...] = ()
    absent: tuple[int, ...] = ()
    refused: tuple[int, ...] = ()
    note: str = ""
    names: Mapping[int, str] | None = None
    pupil_notes: Mapping[int, str] | None = None


async def _check_provision(turn: TurnContext, c: _Checked) -> None:
    if cards.F_PROVISION in c.errors:
        return
    text = c.kept[cards.F_PROVISION].strip()
    provision_id = forms.number(text)
    if not text:
        c.errors[cards.F_PROVISION] = texts.ERR_PROVISION_MISSING
    elif provision_id is None:
        c.errors[cards.F_PROVISION] = texts.ERR_PROVISION_UNKNOWN
    else:
        found = await queries.provision(turn.session, turn.actor.school_id, provision_id)
        if found is None or found.retired:
            c.errors[cards.F_PROVISION] = texts.ERR_PROVISION_UNKNOWN
        else:
            c.provision = found


async def _check_pupils(turn: TurnContext, c: _Checked) -> None:
    if cards.F_PUPILS not in c.errors:
        ids = forms.ids(c.kept[cards.F_PUPILS])
        if ids is None:
            c.errors[cards.F_PUPILS] = texts.ERR_PUPILS_MALFORMED
        elif not ids:
            c.errors[cards.F_PUPILS] = texts.ERR_PUPILS_MISSING
        elif len(ids) > MAX_GROUP:
            c.errors[cards.F_PUPILS] = texts.ERR_GROUP_TOO_BIG.format(max=MAX_GROUP)
        else:
            allowed = await pupil_queries.allowed_names(turn.session, pupil_scope(turn.actor), ids)
            c.refused = tuple(i for i in ids if i not in allowed)
            if c.refused:
                c.errors[cards.F_PUPILS] = texts.ERR_PUPILS_OUT_OF_SCOPE
            else:
                c.chosen = tuple(ids)
                c.names = allowed
    if cards.F_ABSENT not in c.errors:
        absent = forms.ids(c.kept[cards.F_ABSENT])
        if absent is None:
            c.errors[cards.F_ABSENT] = texts.ERR_PUPILS_MALFORMED
        elif cards.F_PUPILS not in c.errors and any(i not in c.chosen for i in absent):
            c.errors[cards.F_ABSENT] = texts.ERR_ABSENT_NOT_CHOSEN
        else:
            c.absent = tuple(absent)


async def _check_notes(turn: TurnContext, c: _Checked) -> None:
    c.note = c.kept[cards.F_NOTE].strip()
    if cards.F_NOTE not in c.errors and len(c.note) > MAX_TEXT:
        c.errors[cards.F_NOTE] = texts.ERR_NOTE_TOO_LONG.format(max=MAX_TEXT, length=len(c.note))
    c.names = c.names or {}
    text = c.kept[cards.F_PUPIL_NOTES]
    if cards.F_PUPIL_NOTES in c.errors or not text.strip():
        return
    if len(text) > cards.MAX_PUPIL_NOTES:
        c.errors[cards.F_PUPIL_NOTES] = texts.ERR_NOTE_TOO_LONG.format(
            max=cards.MAX_PUPIL_NOTES, length=len(text)
        )
    elif c.chosen:
        c.pupil_notes, problem = _parse_pupil_notes(text, c.names)
        if problem:
            c.errors[cards.F_PUPIL_NOTES] = problem


async def _check(turn: TurnContext, data: Mapping[str, Any], today: dt.date) -> _Checked:
    parsed = _read_fields(data)
    c = _Checked(parsed.kept, parsed.errors)
    await _check_provision(turn, c)
    if cards.F_DATE not in c.errors:
        c.held_on, problem = _parse_date(c.kept[cards.F_DATE], today)
        if problem:
            c.errors[cards.F_DATE] = problem
    if cards.F_MINUTES not in c.errors:
        c.minutes, problem = _parse_minutes(c.kept[cards.F_MINUTES], c.provision)
        if problem:
            c.errors[cards.F_MINUTES] = problem
    await _check_pupils(turn, c)
    await _check_notes(turn, c)
    return c


async def submit_log(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    key = forms.card_key(data, error=texts.LOG_KEY_MISSING)
    existing = await queries.session_id_by_key(turn.session, key)
    if existing is not None:
        return await _confirmation_of(turn, existing)

    c = await _check(turn, data, turn.today)
    if c.refused:
        # Ids outside the caseload can only come from a forged or stale card: keep a trace.
        await turn.audit_refused(
            "session_log_refused", entity="intervention_session", pupil_ids=c.refused[:MAX_GROUP]
        )
    provision, held_on, minutes = c.provision, c.held_on, c.minutes
    if c.errors or provision is None or held_on is None or minutes is None:
        form = LogForm(key=key).with_values(c.kept)
        raise UserError(texts.LOG_FIX_BELOW, card=await _form_card(turn, form, c.errors), in_place=True)
    chosen, absent, note = c.chosen, c.absent, c.note
    names = c.names or {}
    pupil_notes = c.pupil_notes or {}

    present = [i for i in chosen if i not in absent]
    costs = split_costs(
        hourly_pence=provision.staff_hourly_cost_pence,
        per_pupil_pence=provision.per_pupil_cost_pence,
        minutes=minutes,
        present_ids=present,
    )
    attendance = [
        NewAttendance(
            pupil_id=i, present=i not in absent, note=pupil_notes.get(i), cost_pence=costs.get(i, 0)
        )
        for i in chosen
    ]
    session_id = await queries.insert_session(
        turn.session,
        idempotency_key=key,
        school_id=turn.actor.school_id,
        provision_id=provision.id,
        held_on=held_on,
        minutes=minutes,
        staff_id=turn.actor.staff_id,
        note=note or None,
        staff_hourly_cost_pence=provision.staff_hourly_cost_pence,
        per_pupil_cost_pence=provision.per_pupil_cost_pence,
        attendance=attendance,
        now=turn.now,
    )
    if session_id is None:
        # Another delivery of this card won the race: show what it wrote.
        winner = await queries.session_id_by_key(turn.session, key)
        assert winner is not None  # the conflicting row is committed, or our insert would have waited
        return await _confirmation_of(turn, winner)
    for a in attendance:
        turn.audit("session_logged", entity="intervention_session", entity_id=session_id, pupil_id=a.pupil_id)
    view = SessionView(
        id=session_id,
        school_id=turn.actor.school_id,
        staff_id=turn.actor.staff_id,
        provision_id=provision.id,
        provision_name=provision.name,
        held_on=held_on,
        minutes=minutes,
        note=note or None,
        undone=False,
        created_at=turn.now,
        attendance=sorted(
            (
                AttendanceView(a.pupil_id, names.get(a.pupil_id, ""), a.present, a.note, a.cost_pence)
                for a in attendance
            ),
            key=lambda a: (a.name.split(" ")[-1], a.name, a.pupil_id),
        ),
    )
    return Outbound.replacing(cards.log_done_card(view, show_costs=sees_costs(turn.actor)))


# ---------------------------------------------------------------------------------------------
# Undo and history


async def _own_session(turn: TurnContext, refused_action: str) -> SessionView:
    session_id = forms.number(turn.inbound.data.get("session"), high=forms.MAX_BIG_ID)
    view = (
        None
        if session_id is None
        else await queries.session_view(turn.session, session_id, turn.actor.school_id)
    )
    if view is None:
        raise UserError(texts.LOG_SESSION_UNKNOWN)
    if view.staff_id != turn.actor.staff_id:
        await turn.audit_refused(
            refused_action,
            entity="intervention_session",
            entity_id=view.id,
            pupil_ids=[a.pupil_id for a in view.attendance],
        )
        raise UserError(texts.LOG_UNDO_NOT_YOURS)
    return view


async def undo(turn: TurnContext) -> Outbound:
    """Same person, same day (the school's day): the session is marked undone, never deleted."""
    view = await _own_session(turn, "session_undo_refused")
    if school_today(view.created_at, turn.school.time_zone) != turn.today:
        await turn.audit_refused(
            "session_undo_refused",
            entity="intervention_session",
            entity_id=view.id,
            pupil_ids=[a.pupil_id for a in view.attendance],
        )
        raise UserError(texts.LOG_UNDO_TOO_LATE)
    if not await queries.mark_undone(turn.session, view.id, turn.now):
        raise UserError(texts.LOG_ALREADY_UNDONE)
    for a in view.attendance:
        turn.audit("session_undone", entity="intervention_session", entity_id=view.id, pupil_id=a.pupil_id)
    undone = SessionView(**{**view.__dict__, "undone": True})
    return Outbound.replacing(cards.log_done_card(undone, show_costs=sees_costs(turn.actor)))


async def show_history(turn: TurnContext) -> Outbound:
    page = 0
    if "page" in turn.inbound.data:
        found = forms.number(turn.inbound.data.get("page"), low=0, high=10_000)
        if found is None:
            raise UserError(texts.HISTORY_BAD_PAGE)
        page = found
    rows, more = await queries.history(
        turn.session, turn.actor.staff_id, offset=page * HISTORY_PAGE_SIZE, limit=HISTORY_PAGE_SIZE
    )
    card = cards.history_card(rows, page=page, has_more=more)
    if turn.inbound.verb == Verb.HISTORY_PAGE.value:
        return Outbound.replacing(card)
    return Outbound.card(card)
