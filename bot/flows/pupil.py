"""`pupil <name>`: find a pupil within the caller's scope and show their summary.

Why the pick list: names repeat in real schools, so several matches are listed (up to ten) and the
person picks; the chosen id comes back in a card and is checked against their scope again.
"""

from __future__ import annotations

from bot.rules.calendar import academic_year_start, term_of
from bot.rules.policy import (
    LOGGERS,
    PARENT_TASK_USERS,
    STAFF,
    may_raise_concern,
    may_use,
    pupil_scope,
    sees_costs,
)
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.router import Router
from cards import pupil as cards
from cards import texts
from cards.verbs import Verb
from storage.queries import parents, pupil_summary
from storage.queries import pupils as pupil_queries

PICK_LIMIT = 10
MAX_QUERY = 100


def add_routes(router: Router) -> None:
    router.command("pupil", summary=texts.PUPIL_SUMMARY, usage=texts.PUPIL_USAGE, roles=STAFF)(find)
    router.verb(Verb.PUPIL_SHOW, roles=STAFF)(show)


async def find(turn: TurnContext) -> Outbound:
    query = turn.inbound.args[:MAX_QUERY]
    if not query:
        return Outbound.text(texts.PUPIL_ASK_NAME)
    rows = await pupil_queries.search(turn.session, pupil_scope(turn.actor), query, limit=PICK_LIMIT + 1)
    if not rows:
        raise UserError(texts.PUPIL_NONE.format(query=query[:40]))
    if len(rows) == 1:
        return await _summary(turn, rows[0].id)
    shown = rows[:PICK_LIMIT]
    for r in shown:
        turn.audit("pupil_listed", entity="pupil", entity_id=r.id, pupil_id=r.id)
    return Outbound.card(cards.pick_card(shown, more=len(rows) > PICK_LIMIT))


async def show(turn: TurnContext) -> Outbound:
    raw = forms.number(turn.inbound.data.get("pupil"))
    if raw is None:
        raise UserError(texts.UNKNOWN_ACTION)
    allowed = await pupil_queries.allowed_ids(turn.session, pupil_scope(turn.actor), [raw])
    if raw not in allowed:
        await turn.audit_refused("pupil_view_refused", entity="pupil", entity_id=raw, pupil_ids=[raw])
        raise UserError(texts.PUPIL_NOT_IN_SCOPE)
    return await _summary(turn, raw)


async def _summary(turn: TurnContext, pupil_id: int) -> Outbound:
    today = turn.today
    start, end = term_of(today)
    year_start = academic_year_start(today)
    found = await pupil_summary.summary(
        turn.session, pupil_id, term_start=start, term_end=end, year_start=year_start
    )
    if found is None:
        raise UserError(texts.PUPIL_NOT_IN_SCOPE)
    turn.audit("pupil_viewed", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    return Outbound.card(
        cards.summary_card(
            found,
            show_costs=sees_costs(turn.actor),
            can_log=may_use(turn.actor, LOGGERS),
            can_raise_concern=may_raise_concern(turn.actor),
            parent_tasks=await parents.pupil_tasks(turn.session, pupil_id),
            can_close_tasks=may_use(turn.actor, PARENT_TASK_USERS),
            today=today,
        )
    )
