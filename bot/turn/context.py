"""What a flow gets for one turn, and the shape of a flow's handler.

Why its own module: the router stores handlers that take a TurnContext, and the dispatcher builds one;
with both in one module they imported each other. The context sees the router only through `CommandBook`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rules.calendar import school_today
from bot.rules.policy import Actor
from bot.settings import Settings
from bot.turn.core import Inbound, Outbound
from storage.queries import audit
from storage.queries.identity import SchoolInfo


class Command(Protocol):
    """A command as help lists it."""

    @property
    def key(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def summary(self) -> str: ...


class CommandBook(Protocol):
    def commands_for(self, actor: Actor) -> Sequence[Command]: ...


@dataclass
class TurnContext:
    """What a flow gets: the request, the person, one database session in a transaction, the clock."""

    inbound: Inbound
    actor: Actor
    school_name: str
    school: SchoolInfo
    session: AsyncSession
    # Only what help needs of the router: the commands a person may use (no import of the router here).
    router: CommandBook
    settings: Settings
    now: dt.datetime
    # For records that must outlive this turn's transaction (refusals); None when a test builds a turn.
    sessions: async_sessionmaker[AsyncSession] | None = None
    # The turn's audit events, written in one statement when the flow succeeds (bot.turn.dispatch).
    audit_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def today(self) -> dt.date:
        """Today in the school's time zone (a session logged at 00:30 in London is today there)."""
        return school_today(self.now, self.school.time_zone)

    async def audit_refused(
        self,
        action: str,
        *,
        entity: str | None = None,
        entity_id: str | int | None = None,
        pupil_ids: Iterable[int | None] = (None,),
        pupil_id: int | None = None,
    ) -> None:
        """Record refused attempts in their own transaction: the turn is about to roll back, these stay."""
        if pupil_id is not None:
            pupil_ids = (pupil_id,)
        if self.sessions is None:
            for one in pupil_ids:
                self.audit(action, entity=entity, entity_id=entity_id, pupil_id=one, outcome="refused")
            return
        rows = [
            self._row(action, entity=entity, entity_id=entity_id, pupil_id=one, outcome="refused")
            for one in pupil_ids
        ]
        async with self.sessions.begin() as session:
            await audit.record_rows(session, rows)

    def audit(
        self,
        action: str,
        *,
        entity: str | None = None,
        entity_id: str | int | None = None,
        pupil_id: int | None = None,
        outcome: str = "ok",
    ) -> None:
        """Record an event in the same transaction as the change it describes (written at its end)."""
        self.audit_rows.append(
            self._row(action, entity=entity, entity_id=entity_id, pupil_id=pupil_id, outcome=outcome)
        )

    def _row(
        self,
        action: str,
        *,
        entity: str | None,
        entity_id: str | int | None,
        pupil_id: int | None,
        outcome: str,
    ) -> dict[str, Any]:
        return audit.row(
            action=action,
            at=self.now,
            tenant_id=self.actor.tenant_id,
            school_id=self.actor.school_id,
            actor_id=self.actor.staff_id,
            entity=entity,
            entity_id=entity_id,
            pupil_id=pupil_id,
            outcome=outcome,
            correlation_id=self.inbound.correlation_id,
        )


Handler = Callable[[TurnContext], Awaitable[Outbound]]
