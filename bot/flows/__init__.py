"""One module per job; each exposes `register(router)`. `ALL` lists them in the order help shows them."""

from __future__ import annotations

from bot.flows import digest as digest_flow
from bot.flows import help as help_flow
from bot.flows import plans as plans_flow
from bot.flows import refer
from bot.flows import register as register_flow
from bot.flows import reviews as reviews_flow
from bot.router import Router

ALL = (help_flow, register_flow, plans_flow, reviews_flow, refer, digest_flow)


def build_router() -> Router:
    router = Router()
    for flow in ALL:
        flow.register(router)
    return router
