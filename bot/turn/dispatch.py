"""One turn: identify the person, apply the cross-cutting rules, run the flow, render its errors.

Why here and not in each flow (docs/design.md, "How the code reads"): the tenant gate is at the door
(bot/teams/seam.py);
everything else that holds for every route is applied once, in this order:
remember the conversation → who is this → route → 1:1-only check → role check → the flow, in one
unit of work that rolls back on any error, so a refused or failed turn writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rules.policy import Actor
from bot.settings import Settings
from bot.turn.context import TurnContext
from bot.turn.core import Card, ChatKind, Inbound, InboundKind, Outbound, UserError
from bot.turn.router import Route, Router
from cards import texts
from cards.common import notice
from cards.help import not_in_directory_card
from storage.db import autocommit_session_factory
from storage.models import utcnow
from storage.queries import audit, conversations
from storage.queries import identity as directory

log = structlog.get_logger(__name__)
Clock = Callable[[], dt.datetime]


class Dispatcher:
    def __init__(
        self,
        router: Router,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock = utcnow,
    ) -> None:
        self.router = router
        self.sessions = sessions
        # The identity read and the reference refresh are one statement each: no transaction needed.
        self.identity_sessions = autocommit_session_factory(sessions.kw["bind"])
        self.settings = settings
        self.clock = clock
        self.on_install: Callable[[TurnContext], Outbound] | None = None

    async def handle(self, inbound: Inbound) -> Outbound:
        try:
            return await self._handle(inbound)
        except Exception:
            # Logged once, with the correlation id the person is given; no pupil data in the log.
            log.exception("turn_failed", kind=inbound.kind.value, verb=inbound.verb)
            return _answer(
                inbound, notice(texts.UNEXPECTED_ERROR.format(correlation_id=inbound.correlation_id))
            )

    async def _handle(self, inbound: Inbound) -> Outbound:
        now = self.clock()
        async with self.identity_sessions.begin() as session:
            identity = None
            known = None
            if inbound.aad_object_id:
                found = await directory.identity_with_reference(
                    session, inbound.aad_object_id, inbound.tenant_id
                )
                if found is not None:
                    identity, known = found
            if identity is None:
                contacts = await directory.contacts_for_tenant(session, inbound.tenant_id)
                if inbound.kind in (InboundKind.SUBMIT, InboundKind.EXECUTE):
                    # A card action from someone not in the directory is a refused attempt: keep it.
                    audit.record(
                        session,
                        action="unknown_person_action",
                        at=now,
                        tenant_id=inbound.tenant_id,
                        actor_aad=(inbound.aad_object_id or "")[:64] or None,
                        entity="route",
                        entity_id=(inbound.verb or "")[:64] or None,
                        outcome="refused",
                        correlation_id=inbound.correlation_id,
                    )
            elif inbound.address is not None and inbound.chat is ChatKind.PERSONAL:
                a = inbound.address
                await conversations.remember(
                    session,
                    staff_id=identity.staff_id,
                    tenant_id=a.tenant_id,
                    channel_id=a.channel_id,
                    service_url=a.service_url,
                    conversation_id=a.conversation_id,
                    bot_id=a.bot_id,
                    user_id=a.user_id,
                    now=now,
                    known=known,
                )
        if inbound.kind is InboundKind.OTHER:
            # Typing, reactions, installationUpdate...: the reference is refreshed, nothing is said.
            return Outbound()
        if identity is None:
            log.info("unknown_person", kind=inbound.kind.value)
            return _answer(inbound, not_in_directory_card(contacts))

        actor = Actor(
            staff_id=identity.staff_id,
            school_id=identity.school_id,
            tenant_id=identity.tenant_id,
            display_name=identity.display_name,
            roles=identity.roles,
        )
        route: Route | None
        if inbound.kind is InboundKind.INSTALL:
            route = self.router.install_route
        else:
            route = self.router.resolve(inbound.kind, command=inbound.command, verb=inbound.verb)
        if route is None:
            return _answer(inbound, notice(self._unrouted_text(inbound)))
        if route.personal_only and inbound.chat is not ChatKind.PERSONAL:
            return _answer(inbound, notice(texts.PERSONAL_ONLY.format(command=route.key)))
        if not actor.has_any(route.roles):
            await self._audit_refusal(inbound, actor, route, now)
            return _answer(inbound, notice(texts.NOT_ALLOWED))
        try:
            async with self.sessions.begin() as session:
                turn = TurnContext(
                    inbound,
                    actor,
                    identity.school_name,
                    identity.school,
                    session,
                    self.router,
                    self.settings,
                    now,
                    sessions=self.sessions,
                )
                result = await route.handler(turn)
                await audit.record_rows(session, turn.audit_rows)
        except UserError as err:
            if err.card is not None:
                return _answer(inbound, err.card, in_place=err.in_place)
            return _answer(inbound, notice(err.message))
        return _settle(inbound, result)

    def _unrouted_text(self, inbound: Inbound) -> str:
        if inbound.kind is InboundKind.MESSAGE:
            if not inbound.command:
                return texts.EMPTY_MESSAGE
            return texts.UNKNOWN_COMMAND.format(command=inbound.command[:40])
        return texts.UNKNOWN_ACTION

    async def _audit_refusal(self, inbound: Inbound, actor: Actor, route: Route, now: dt.datetime) -> None:
        # Its own transaction: the refused turn writes nothing else, but the attempt is kept.
        async with self.sessions.begin() as session:
            audit.record(
                session,
                action="route_refused",
                at=now,
                tenant_id=actor.tenant_id,
                school_id=actor.school_id,
                actor_id=actor.staff_id,
                entity="route",
                entity_id=route.key,
                outcome="refused",
                correlation_id=inbound.correlation_id,
            )


def _answer(inbound: Inbound, card: Card, *, in_place: bool = False) -> Outbound:
    """The one place that decides how a card answers this request: as the Action.Execute response;
    in place of the clicked card when it takes that card's place (`in_place`) and Teams named the
    card's message; else as a new message."""
    if inbound.kind is InboundKind.SEARCH:
        # A picker has nowhere to show a card: whatever the refusal or failure, it offers nothing.
        return Outbound()
    if inbound.kind is InboundKind.EXECUTE:
        return Outbound(invoke_card=card)
    if in_place and inbound.kind is InboundKind.SUBMIT and inbound.reply_to_id:
        return Outbound(replace_card=card)
    return Outbound.card(card)


def _settle(inbound: Inbound, result: Outbound) -> Outbound:
    """A flow's answer as the seam sends it: its `in_place` card placed by `_answer`, and for an
    Action.Execute (which must answer with a card) its first card moved into the response."""
    if result.in_place is not None:
        placed = _answer(inbound, result.in_place, in_place=True)
        result.messages[:0] = placed.messages
        result.replace_card = placed.replace_card or result.replace_card
        result.invoke_card = placed.invoke_card or result.invoke_card
        result.in_place = None
    if inbound.kind is InboundKind.EXECUTE and result.invoke_card is None:
        for i, message in enumerate(result.messages):
            if message.card is not None:
                result.invoke_card = message.card
                del result.messages[i]
                break
    return result
