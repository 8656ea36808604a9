"""One module per job; each exposes `add_routes(router)`. `ALL` lists them in the order help shows them."""

from __future__ import annotations

from bot.flows import (
    concerns,
    contacts,
    ehcna,
    evidence,
    letters,
    log,
    parents,
    provisions,
    pupil,
    referrals,
)
from bot.flows import digest as digest_flow
from bot.flows import help as help_flow
from bot.flows import plans as plans_flow
from bot.flows import register as register_flow
from bot.flows import reviews as reviews_flow
from bot.flows import roles as roles_flow
from bot.turn.router import Router

# The order help lists them in: the everyday jobs first.
ALL = (
    help_flow,
    log,
    pupil,
    referrals,
    plans_flow,
    reviews_flow,
    register_flow,
    ehcna,
    evidence,
    concerns,
    parents,
    contacts,
    letters,
    provisions,
    roles_flow,
    digest_flow,
)


def build_router() -> Router:
    router = Router()
    for flow in ALL:
        flow.add_routes(router)
    return router
