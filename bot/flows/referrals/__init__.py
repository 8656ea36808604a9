"""Referrals: a teacher asks for specialist input, the SENCO decides in chat, the referral is tracked to
the report.

Why it is shaped like this:
- every decision is a guarded UPDATE on the referral's version (storage/queries/referrals.transition), so
  two SENCOs, a stale card, a double click or a Teams retry record exactly one decision, and the loser is
  answered with the current card, never an error;
- notifications (approval cards, decisions, questions) are outbox rows written in the same transaction
  as the change, with keys that name the referral's version: nothing is lost and a retry adds nothing;
- refused attempts (another school's SENCO, a teacher forging a decision, an out-of-scope pupil) are
  answered without raising, so the turn commits its audit row and nothing else.
"""

from __future__ import annotations

from bot.flows.referrals.common import SENCO_ONLY
from bot.flows.referrals.decision import answer, decide, refresh
from bot.flows.referrals.progress import list_referrals, progress, show_referral
from bot.flows.referrals.request import open_form, open_from_button, submit_referral
from bot.flows.referrals.services import add_service, retire_service, show_services
from bot.rules.policy import STAFF
from bot.turn.router import Router
from cards.verbs import Verb


def add_routes(router: Router) -> None:
    router.command(
        "refer", summary="Ask for specialist input for a pupil", usage="refer [pupil]", roles=STAFF
    )(open_form)
    router.verb(Verb.REFER_OPEN, roles=STAFF)(open_from_button)
    router.verb(Verb.REFER_SUBMIT, roles=STAFF)(submit_referral)
    # Decisions are open to every staff role at the door so that a forged one reaches the handler,
    # which refuses and audits it with the referral it aimed at.
    for verb in (Verb.REFERRAL_APPROVE, Verb.REFERRAL_DECLINE, Verb.REFERRAL_ASK):
        router.verb(verb, roles=STAFF)(decide)
    router.verb(Verb.REFERRAL_REFRESH, roles=STAFF)(refresh)
    router.verb(Verb.REFERRAL_ANSWER, roles=STAFF)(answer)
    router.command(
        "referral",
        summary="One referral: its state, history and next step",
        usage="referral [number]",
        roles=STAFF,
        menu=False,  # reached from the referrals list and the cards
    )(show_referral)
    router.verb(Verb.REFERRAL_PROGRESS, roles=STAFF)(progress)
    router.command("referrals", summary="Open referrals and how long they have waited", roles=STAFF)(
        list_referrals
    )
    router.verb(Verb.REFERRALS_PAGE, roles=STAFF)(list_referrals)
    router.command("services", summary="The services your school refers to", roles=SENCO_ONLY, menu=False)(
        show_services
    )
    router.verb(Verb.SERVICE_ADD, roles=SENCO_ONLY)(add_service)
    router.verb(Verb.SERVICE_RETIRE, roles=SENCO_ONLY)(retire_service)
