"""Routing and the cross-cutting rules, without HTTP: which handler does this request select, and
what happens around it (1:1-only, roles, errors, rollback)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flows import build_router
from bot.rules.policy import WHOLE_SCHOOL
from bot.settings import Settings
from bot.turn.context import TurnContext
from bot.turn.core import ChatKind, Inbound, InboundKind, Outbound, UserError
from bot.turn.dispatch import Dispatcher
from bot.turn.router import Router
from cards import texts
from cards.verbs import Verb
from storage.demo import DEMO_TENANT
from storage.models import AuditEvent, ReferralService
from tests.support import activities as act


def inbound(
    kind: InboundKind = InboundKind.MESSAGE,
    *,
    text: str = "",
    verb: str | None = None,
    user: act.User = act.SENCO,
    chat: ChatKind = ChatKind.PERSONAL,
) -> Inbound:
    return Inbound(
        kind=kind,
        tenant_id=DEMO_TENANT,
        aad_object_id=user.aad_object_id,
        chat=chat,
        correlation_id="c0ffee",
        text=text,
        verb=verb,
    )


def test_routes_on_the_first_word_only() -> None:
    router = build_router()
    assert router.resolve(InboundKind.MESSAGE, command="help", verb=None) is not None
    assert router.resolve(InboundKind.MESSAGE, command="helpme", verb=None) is None
    assert router.resolve(InboundKind.SUBMIT, command="", verb=Verb.HELP.value) is not None
    assert router.resolve(InboundKind.SUBMIT, command="help", verb=None) is None


def test_a_command_cannot_be_routed_twice() -> None:
    router = build_router()
    with pytest.raises(ValueError, match="already"):
        router.command("help", summary="again")


@pytest.fixture
def guarded(sessions: async_sessionmaker[AsyncSession], demo: None) -> Dispatcher:
    router = Router()

    @router.command("secret", summary="whole-school only", roles=WHOLE_SCHOOL)
    async def secret(turn: TurnContext) -> Outbound:
        return Outbound.text("the register")

    @router.command("write", summary="writes then fails")
    async def write(turn: TurnContext) -> Outbound:
        turn.session.add(ReferralService(school_id=turn.actor.school_id, name="Written then rolled back"))
        await turn.session.flush()
        raise UserError("Pick a pupil first.")

    @router.command("crash", summary="a bug")
    async def crash(turn: TurnContext) -> Outbound:
        raise RuntimeError("bug with pupil Amelia Smith")

    return Dispatcher(router, sessions, Settings())


async def test_pupil_routes_are_refused_outside_a_personal_chat(guarded: Dispatcher) -> None:
    out = await guarded.handle(inbound(text="secret", chat=ChatKind.CHANNEL))
    assert out.messages[0].card is not None
    assert texts.PERSONAL_ONLY.format(command="secret") in str(out.messages[0].card)


async def test_roles_are_enforced_and_refusals_audited(
    guarded: Dispatcher, sessions: async_sessionmaker[AsyncSession]
) -> None:
    out = await guarded.handle(inbound(text="secret", user=act.TEACHER))
    assert texts.NOT_ALLOWED in str(out.messages[0].card)
    async with sessions() as session:
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "route_refused"))
        ).scalar_one()
    assert event.entity_id == "secret" and event.outcome == "refused"
    allowed = await guarded.handle(inbound(text="secret", user=act.HEAD))
    assert allowed.messages[0].text == "the register"


async def test_user_error_rolls_back_everything(
    guarded: Dispatcher, sessions: async_sessionmaker[AsyncSession]
) -> None:
    out = await guarded.handle(inbound(text="write"))
    assert "Pick a pupil first." in str(out.messages[0].card)
    async with sessions() as session:
        written = await session.scalar(
            select(func.count())
            .select_from(ReferralService)
            .where(ReferralService.name == "Written then rolled back")
        )
    assert written == 0


async def test_unexpected_error_gives_a_polite_card_with_a_reference(
    guarded: Dispatcher, capsys: pytest.CaptureFixture[str]
) -> None:
    out = await guarded.handle(inbound(text="crash"))
    assert texts.UNEXPECTED_ERROR.format(correlation_id="c0ffee") in str(out.messages[0].card)
    assert "Traceback" not in str(out.messages[0].card)


async def test_execute_errors_are_answered_in_place(guarded: Dispatcher) -> None:
    out = await guarded.handle(inbound(InboundKind.EXECUTE, verb="nope"))
    assert out.messages == [] and out.invoke_card is not None


def test_the_teams_menu_fits_its_limit_and_help_lists_every_command() -> None:
    router = build_router()
    menu = router.menu_commands()
    # Teams accepts at most 10 commands in a command list; the rest stay reachable by typing.
    assert 0 < len(menu) <= 10
    assert {r.key for r in menu} < {r.key for r in router.commands()}
    assert [r.key for r in menu][:2] == ["help", "log"]
