"""Decision mechanics shared by every SENCO approval card (referrals, concerns).

Why here: refused attempts are answered without raising (so the turn commits the audit row and nothing
else), and the card's refresh reaches the school's SENCOs and the requester. One copy of each keeps
the two flows behaving alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.turn.context import TurnContext
from bot.turn.core import Outbound
from cards.common import notice
from storage.queries import referrals
from storage.queries.referrals import Recipient


def refuse(
    turn: TurnContext, action: str, text: str, *, entity: str, entity_id: Any, pupil_id: int | None
) -> Outbound:
    """Refuse without raising: the turn commits this audit row and nothing else."""
    turn.audit(
        action,
        entity=entity,
        entity_id=entity_id if isinstance(entity_id, int | str) else None,
        pupil_id=pupil_id,
        outcome="refused",
    )
    # A new message, or the Action.Execute response (the dispatcher decides).
    return Outbound.card(notice(text))


async def refresh_user_ids(turn: TurnContext, sencos: Sequence[Recipient], requester_id: int) -> list[str]:
    """Teams user ids of everyone who should see the card's current state when opening it."""
    ids = [s.teams_user_id for s in sencos if s.teams_user_id]
    requester = await referrals.teams_user_ids(turn.session, [requester_id])
    ids += list(requester.values())
    return ids


def names(sencos: Sequence[Recipient]) -> str:
    """ "Alex", "Alex and Priya", "Alex, Priya and Sam"."""
    found = [s.display_name for s in sencos]
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
