"""`senbot audit --pupil ID --out FILE`: a subject access request export, itself audited.

Why a CLI and not a chat command: the export holds everything about a child, so it is made by the
data protection officer on the server and handed over by the school's own process, never posted in Teams.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.queries import audit
from storage.queries.subject_access import everything_on


async def export(
    sessions: async_sessionmaker[AsyncSession], pupil_id: int, out: Path, *, now: dt.datetime
) -> bool:
    """Write the export as JSON (readable by the owner only); False when there is no such pupil."""
    async with sessions.begin() as session:
        held = await everything_on(session, pupil_id)
        if held is None:
            return False
        document = {"exported_at": now.isoformat(), "pupil_id": pupil_id, **held}
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2, ensure_ascii=False)
        # Written only if the file was: the audit trail says an export exists.
        audit.record(
            session,
            action="subject_access_export",
            at=now,
            school_id=held["pupil"]["school_id"],
            entity="pupil",
            entity_id=pupil_id,
            pupil_id=pupil_id,
            correlation_id="cli",
        )
    return True
