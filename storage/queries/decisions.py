"""The version-checked decision update shared by referrals and concerns.

Why one function: two SENCOs clicking at once, a stale card, a double click or a Teams retry must record
exactly one decision. The change applies only `WHERE id = :id AND school_id = :s AND version = :v AND
status IN (...)`; on PostgreSQL the second writer waits on the row lock, then finds the version moved
and changes nothing. The caller answers the loser with the current card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Concern, Referral


async def guarded_transition(
    session: AsyncSession,
    model: type[Referral] | type[Concern],
    *,
    row_id: int,
    school_id: int,
    version: int,
    from_statuses: Collection[str],
    to_status: str,
    now: dt.datetime,
    values: dict[str, Any] | None = None,
) -> bool:
    """Apply one change if the row is still at `version` and in `from_statuses`; True if applied."""
    result = await session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.school_id == school_id,
            model.version == version,
            model.status.in_(list(from_statuses)),
        )
        .values(status=to_status, version=model.version + 1, updated_at=now, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
