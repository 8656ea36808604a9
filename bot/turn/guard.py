"""Server-side checks of the pupils a request names, shared by every pupil-level flow.

Why: a card's data is untrusted; every pupil id in it is checked against the caller's scope in SQL
(storage.queries.pupils.allowed_ids). An out-of-scope id is refused with a clear message, nothing is
written (the UserError rolls the turn back), and the attempt is audited in its own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.turn.context import TurnContext
from bot.turn.core import UserError
from bot.turn.forms import card_int
from cards import texts
from cards.forms import pupil_picker
from cards.verbs import Verb
from storage.queries import pupils
from storage.scope import PupilScope


async def pupil_from_card(turn: TurnContext, scope: PupilScope, data: Mapping[str, Any], action: str) -> int:
    pupil_id = card_int(data, "pupil_id")
    assert pupil_id is not None
    if not await pupils.allowed_ids(turn.session, scope, [pupil_id]):
        await turn.audit_refused(action, entity="pupil", entity_id=pupil_id)
        raise UserError(texts.OUT_OF_SCOPE)
    return pupil_id


async def pupil_from_text(turn: TurnContext, scope: PupilScope, text: str, *, usage: str, verb: Verb) -> int:
    """The one pupil in scope whose name matches `text`; several matches send a picker card."""
    text = text.strip()[:80]
    if not text:
        raise UserError(texts.PUPIL_NEEDED.format(usage=usage))
    found = await pupils.search(turn.session, scope, text, limit=11)
    if not found:
        raise UserError(texts.PUPIL_NOT_FOUND.format(text=text))
    if len(found) > 1:
        # Not an error in the person's input: a question. The UserError carries the picker card.
        raise UserError(texts.PUPIL_WHICH.format(text=text), card=pupil_picker(text, found[:10], verb))
    return found[0].id
