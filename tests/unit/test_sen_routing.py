"""Routing of the register, plan and review commands and verbs: which routes exist, for whom, where."""

from __future__ import annotations

import pytest

from bot.flows import build_router
from bot.rules.policy import (
    PLAN_READERS,
    PLAN_WRITERS,
    REGISTER_READERS,
    REGISTER_WRITERS,
    REVIEW_LIST_READERS,
)
from bot.turn.core import InboundKind
from cards.verbs import Verb
from storage.models import Role

ROUTES = [
    ("register", None, REGISTER_READERS),
    ("plan", None, PLAN_READERS),
    ("review", None, PLAN_WRITERS),
    ("reviews", None, REVIEW_LIST_READERS),
    (None, Verb.REGISTER_PAGE, REGISTER_READERS),
    (None, Verb.REGISTER_PUPIL, REGISTER_READERS),
    (None, Verb.REGISTER_HISTORY, REGISTER_READERS),
    (None, Verb.REGISTER_SAVE, REGISTER_WRITERS),
    (None, Verb.PLAN_SHOW, PLAN_READERS),
    (None, Verb.PLAN_EDIT, PLAN_WRITERS),
    (None, Verb.PLAN_SAVE, PLAN_WRITERS),
    (None, Verb.REVIEW_START, PLAN_WRITERS),
    (None, Verb.REVIEW_SAVE, PLAN_WRITERS),
    (None, Verb.REVIEW_NEXT_CYCLE, PLAN_WRITERS),
]


@pytest.mark.parametrize(("command", "verb", "roles"), ROUTES)
def test_routes_are_personal_only_with_their_roles(
    command: str | None, verb: Verb | None, roles: frozenset[Role]
) -> None:
    router = build_router()
    if command:
        route = router.resolve(InboundKind.MESSAGE, command=command, verb=None)
    else:
        assert verb is not None
        route = router.resolve(InboundKind.SUBMIT, command="", verb=verb.value)
    assert route is not None
    assert route.personal_only
    assert route.roles == roles


def test_only_the_senco_changes_the_register_and_teachers_never_read_it() -> None:
    assert REGISTER_WRITERS == {Role.SENCO}
    assert Role.TEACHER not in REGISTER_READERS and Role.TA not in REGISTER_READERS
    assert Role.TA not in PLAN_WRITERS and Role.HEAD not in PLAN_READERS
