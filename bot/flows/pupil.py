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
from bot.turn.core import Outbound, SearchResult, UserError
from bot.turn.router import Router
from cards import pupil as cards
from cards import texts
from cards.forms import PUPIL_DATASET, pupil_choices
from cards.verbs import Verb
from storage.queries import parents, pupil_summary
from storage.queries import pupils as pupil_queries

PICK_LIMIT = 10
MAX_QUERY = 100
# Teams shows at most 15 matches in a type-ahead list, whatever `top` it asks for.
SEARCH_LIMIT = 15
MAX_SKIP = 1000


def add_routes(router: Router) -> None:
    router.command("pupil", summary=texts.PUPIL_SUMMARY, usage=texts.PUPIL_USAGE, roles=STAFF)(find)
    router.verb(Verb.PUPIL_SHOW, roles=STAFF)(show)
    router.search(PUPIL_DATASET, roles=STAFF)(type_ahead)


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


async def type_ahead(turn: TurnContext) -> Outbound:
    """A pupil picker asks for the pupils matching what the person has typed so far: those in their
    scope only, named as every other picker names them, each one listed audited like `pupil`'s list."""
    text = turn.inbound.text.strip()
    if not text:
        return Outbound()
    top = _option(turn.inbound.data.get("top"), SEARCH_LIMIT) or SEARCH_LIMIT
    skip = _option(turn.inbound.data.get("skip"), MAX_SKIP)
    rows = await pupil_queries.type_ahead(
        turn.session, pupil_scope(turn.actor), text, limit=min(top, SEARCH_LIMIT), skip=skip
    )
    for r in rows:
        turn.audit("pupil_listed", entity="pupil_search", entity_id=r.id, pupil_id=r.id)
    return Outbound(search_results=[SearchResult(title, value) for value, title in pupil_choices(rows)])


def _option(raw: object, most: int) -> int:
    """A paging number from the client; anything odd is read as 0."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= most else 0


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
