"""`letter <pupil>`: a letter to the pupil's parents, as a PDF behind a short-lived link (and by email,
bot/jobs/mail_sender.py); `letter template <kind>`: the SENCO reads and edits the school's wording.

Why re-rendered, never stored: a letter is made from the data when asked for and again at download, so
nothing about a pupil lies around in files; each letter made is audited (ids only).
"""

from __future__ import annotations

import uuid

from bot.letters import wording as letters
from bot.letters.service import download_url, letter_html
from bot.rules.policy import LETTER_WRITERS, may_edit_letters, plan_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import letters as cards
from cards import texts
from cards.common import notice
from cards.verbs import Verb
from storage.queries import parents
from storage.queries.register import pupil_name

KINDS = tuple(texts.LETTER_KIND_WORDS)


def add_routes(router: Router) -> None:
    router.command(
        "letter", summary=texts.LETTER_SUMMARY, usage=texts.LETTER_USAGE, roles=LETTER_WRITERS, menu=False
    )(letter_command)
    router.verb(Verb.LETTER_PICK, roles=LETTER_WRITERS)(pick)
    router.verb(Verb.LETTER_MAKE, roles=LETTER_WRITERS)(make)
    router.verb(Verb.LETTER_TEMPLATE_SAVE, roles=LETTER_WRITERS)(save_template)
    router.verb(Verb.LETTER_SEND_PREVIEW, roles=LETTER_WRITERS)(preview_email)
    router.verb(Verb.LETTER_SEND, roles=LETTER_WRITERS)(send_email)


async def _recipients(turn: TurnContext, pupil_id: int) -> list[tuple[str, str]]:
    """The pupil's recorded contacts with an email; a missing one is a clear message, nothing sent."""
    if not turn.settings.mail_from:
        raise UserError(texts.MAIL_OFF)
    to = [(c.name, c.email) for c in await parents.contacts(turn.session, pupil_id) if c.email]
    if not to:
        raise UserError(texts.MAIL_NO_CONTACT.format(pupil=await pupil_name(turn.session, pupil_id)))
    return to


async def preview_email(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), turn.inbound.data, "letter_email_preview")
    kind = _kind(turn.inbound.data.get("kind"))
    to = await _recipients(turn, pupil_id)
    name = await pupil_name(turn.session, pupil_id)
    turn.audit("letter_email_previewed", entity="letter", entity_id=kind, pupil_id=pupil_id)
    return Outbound.card(
        cards.preview_card(
            pupil_id=pupil_id,
            pupil_name=name,
            kind=kind,
            mailbox=turn.settings.mail_from,
            to=to,
            subject=texts.MAIL_SUBJECT.format(
                letter=letters.LETTER_TITLES[kind], pupil=name.split(" ")[0], school=turn.school_name
            ),
            key=uuid.uuid4().hex,
        )
    )


async def send_email(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), data, "letter_email_send")
    kind = _kind(data.get("kind"))
    key = forms.card_key(data)
    await _recipients(turn, pupil_id)
    if not await parents.request_email(
        turn.session, key=key, pupil_id=pupil_id, kind=kind, by=turn.actor.staff_id, now=turn.now
    ):
        raise UserError(texts.MAIL_ALREADY)
    turn.audit("letter_email_requested", entity="letter", entity_id=kind, pupil_id=pupil_id)
    return Outbound.card(notice(texts.MAIL_QUEUED))


async def letter_command(turn: TurnContext) -> Outbound:
    args = turn.inbound.args
    word, _, rest = args.partition(" ")
    if word.lower() == "template":
        return await _template(turn, rest.strip().lower())
    pupil_id = await pupil_from_text(
        turn, plan_scope(turn.actor), args, usage=texts.LETTER_USAGE, verb=Verb.LETTER_PICK
    )
    return await _pick(turn, pupil_id)


async def pick(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), turn.inbound.data, "letter_pick")
    return await _pick(turn, pupil_id)


async def _pick(turn: TurnContext, pupil_id: int) -> Outbound:
    return Outbound.card(
        cards.pick_card(pupil_id=pupil_id, pupil_name=await pupil_name(turn.session, pupil_id))
    )


def _kind(raw: object) -> str:
    if not isinstance(raw, str) or raw not in KINDS:
        raise UserError(texts.LETTER_KIND_UNKNOWN)
    return raw


async def make(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), turn.inbound.data, "letter_generate")
    kind = _kind(turn.inbound.data.get("kind"))
    html = await letter_html(
        turn.session,
        school_id=turn.actor.school_id,
        pupil_id=pupil_id,
        kind=kind,
        today=turn.today,
    )
    if html is None:
        raise UserError(texts.LETTER_NO_PUPIL)
    url = download_url(turn.settings, letters.LinkClaims(pupil_id, kind, turn.actor.staff_id), turn.now)
    turn.audit("letter_generated", entity="letter", entity_id=kind, pupil_id=pupil_id)
    return Outbound.card(
        cards.ready_card(
            pupil_id=pupil_id,
            pupil_name=await pupil_name(turn.session, pupil_id),
            kind=kind,
            url=url,
            can_email=bool(turn.settings.mail_from),
        )
    )


async def _template(turn: TurnContext, kind: str) -> Outbound:
    if not may_edit_letters(turn.actor):
        raise UserError(texts.LETTER_TEMPLATE_SENCO_ONLY)
    kind = _kind(kind)
    body = await parents.template(turn.session, turn.actor.school_id, kind) or letters.default_template(kind)
    return Outbound.card(cards.template_card(kind=kind, body=body, names=letters.ALLOWED_NAMES))


async def save_template(turn: TurnContext) -> Outbound:
    if not may_edit_letters(turn.actor):
        await turn.audit_refused("letter_template_refused", entity="letter_template")
        raise UserError(texts.LETTER_TEMPLATE_SENCO_ONLY)
    data = turn.inbound.data
    kind = _kind(data.get("kind"))
    errors: forms.Errors = {}
    body = forms.text(data, "body", errors, limit=cards.TEMPLATE_LIMIT, required=texts.LETTER_TEMPLATE_EMPTY)
    if not errors:
        unknown = letters.unknown_placeholders(body)
        problem = letters.template_problem(body)
        if unknown:
            errors["body"] = texts.LETTER_TEMPLATE_UNKNOWN.format(name=unknown[0])
        elif problem:
            errors["body"] = texts.LETTER_TEMPLATE_SYNTAX.format(detail=problem)
    if errors:
        first = errors["body"]
        kept = data.get("body") if isinstance(data.get("body"), str) else ""
        raise UserError(
            first,
            card=cards.template_card(
                kind=kind,
                body=str(kept)[: cards.TEMPLATE_LIMIT],
                names=letters.ALLOWED_NAMES,
                errors=errors,
                message=first,
            ),
        )
    await parents.save_template(
        turn.session,
        school_id=turn.actor.school_id,
        kind=kind,
        body=body,
        by=turn.actor.staff_id,
        now=turn.now,
    )
    turn.audit("letter_template_saved", entity="letter_template", entity_id=kind)
    return Outbound.card(
        cards.template_card(
            kind=kind, body=body, names=letters.ALLOWED_NAMES, message=texts.LETTER_TEMPLATE_SAVED, good=True
        )
    )
