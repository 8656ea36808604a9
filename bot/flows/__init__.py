"""One module per job; each exposes `register(router)`. `ALL` lists them in the order help shows them."""

from __future__ import annotations

from bot.flows import concern, contacts, letters, log, parents, provisions, pupil, refer
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
    refer,
    plans_flow,
    reviews_flow,
    register_flow,
    concern,
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
        flow.register(router)
    return router
