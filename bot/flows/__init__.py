"""One module per job; each exposes `register(router)`. `ALL` lists them in the order help shows them."""

from __future__ import annotations

from bot.flows import help as help_flow
from bot.flows import roles as roles_flow
from bot.router import Router

ALL = (help_flow, roles_flow)


def build_router() -> Router:
    router = Router()
    for flow in ALL:
        flow.register(router)
    return router
