"""The pupil's current plan as a card: what `plan` shows and what a review or a refused edit falls back to."""

from __future__ import annotations

from bot.rules.policy import may_write_plans
from bot.turn.context import TurnContext
from cards.common import Card
from cards.plans import plan_card
from storage.queries import plans
from storage.queries.register import pupil_name


async def current_plan_card(
    turn: TurnContext, pupil_id: int, *, message: str | None = None, good: bool = False, audit: bool = True
) -> Card:
    plan = await plans.current_plan(turn.session, pupil_id)
    if audit:
        turn.audit("plan_read", entity="support_plan", entity_id=plan.id if plan else None, pupil_id=pupil_id)
    return plan_card(
        pupil_id=pupil_id,
        name=await pupil_name(turn.session, pupil_id),
        plan=plan,
        can_edit=may_write_plans(turn.actor),
        message=message,
        good=good,
    )
