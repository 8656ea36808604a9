"""What the referral modules share: reading a referral form's text and dates, refusing with an audit
row, who sees a referral's card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bot.rules.policy import may_decide_referral
from bot.turn import decisions, forms
from bot.turn.context import TurnContext
from bot.turn.core import Card, Outbound
from cards import texts
from cards.common import MAX_TEXT
from cards.referrals import (
    approval_card,
    status_card,
)
from storage.models import ReferralStatus, Role
from storage.queries import referrals
from storage.queries.referrals import ReferralView

SENCO_ONLY = frozenset({Role.SENCO})
PAGE_SIZE = 10


def read_text(
    data: Mapping[str, Any], field: str, errors: forms.Errors, *, required: bool, limit: int = MAX_TEXT
) -> str | None:
    """A text field; None when empty (stored as NULL) or wrong."""
    value = forms.text(data, field, errors, limit=limit, required=texts.FIELD_REQUIRED if required else None)
    return None if field in errors or not value else value


def read_date(data: Mapping[str, Any], field: str, errors: forms.Errors, *, today: dt.date) -> dt.date | None:
    return forms.date(data, field, errors, required=texts.FIELD_REQUIRED, latest=today)


def refuse(
    turn: TurnContext, action: str, text: str, *, view: ReferralView | None, entity_id: Any
) -> Outbound:
    return decisions.refuse(
        turn, action, text, entity="referral", entity_id=entity_id, pupil_id=view.pupil_id if view else None
    )


async def refresh_user_ids(
    turn: TurnContext, view: ReferralView, sencos: Sequence[referrals.Recipient]
) -> list[str]:
    return await decisions.refresh_user_ids(turn, sencos, view.requested_by)


names = decisions.names


async def card_for_viewer(turn: TurnContext, view: ReferralView, message: str | None = None) -> Card:
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await refresh_user_ids(turn, view, sencos)
    if may_decide_referral(turn.actor, view.school_id) and view.status == ReferralStatus.REQUESTED.value:
        return approval_card(view, user_ids=user_ids, message=message)
    return status_card(view, user_ids=user_ids, message=message)
