"""`digest`: the weekly SEN digest on demand, for the caller's scope and a week they choose.

Why here and not only in the scheduled planner: heads, SENCOs and teachers want the same picture when they
ask (head, SENCO, admin: the school; teacher, TA: their classes; trust lead: every school of the trust, one
line each). The card is built from aggregates (storage/queries/digest.py); which parts a person sees is
decided in bot/rules/policy.py. The scheduled digest (bot/jobs/digest_planner.py) builds its cards with
`build_cards`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.rules.policy import (
    EVERYONE,
    digest_for_trust,
    digest_names_pupils,
    digest_shows_money,
    pupil_scope,
)
from bot.turn.context import TurnContext
from bot.turn.core import Card, Outbound, UserError
from bot.turn.router import Router
from cards import texts
from cards.digest import MAX_NAMES, digest_card, trust_digest_card
from storage.models import Role
from storage.queries import digest as q
from storage.queries.digest import Digest, IsoWeek, Target


def add_routes(router: Router) -> None:
    router.command("digest", summary=texts.DIGEST_SUMMARY, usage=texts.DIGEST_USAGE, roles=EVERYONE)(
        show_digest
    )


def resolve_week(args: str, today: dt.date) -> IsoWeek:
    """Nothing or `this`: the week in progress; `last`: the week before; `2026-W47`: that week (not a
    future one)."""
    word = args.strip().lower()
    current = IsoWeek.containing(today)
    if word in ("", "this"):
        return current
    if word == "last":
        return current.shifted(-1)
    week = IsoWeek.parse(word)
    if week is None:
        raise UserError(texts.DIGEST_BAD_WEEK.format(text=args.strip()[:40]))
    if week > current:
        raise UserError(texts.DIGEST_FUTURE_WEEK.format(label=week.label))
    return week


async def show_digest(turn: TurnContext) -> Outbound:
    actor = turn.actor
    today = turn.today
    week = resolve_week(turn.inbound.args, today)
    as_of = min(today, week.end)
    if digest_for_trust(actor.roles):
        school_ids = await q.trust_school_ids(turn.session, actor.staff_id)
        card = await trust_card(turn.session, school_ids, week, as_of=as_of)
        for school_id in school_ids:
            turn.audit("digest_viewed", entity="school", entity_id=school_id)
        return Outbound.card(card)
    scope = pupil_scope(actor)
    digest = await q.school_digest(turn.session, scope, week, as_of=as_of)
    card, named = await school_card(
        turn.session,
        digest,
        actor.roles,
        as_of=as_of,
        classes_only=not scope.whole_school,
        personal_chat=True,  # the route is 1:1 only (personal_only)
    )
    turn.audit("digest_viewed", entity="school", entity_id=actor.school_id)
    for pupil_id in named:
        turn.audit("digest_viewed", entity="pupil_cost", entity_id=pupil_id, pupil_id=pupil_id)
    return Outbound.card(card)


async def school_card(
    session: AsyncSession,
    digest: Digest,
    roles: frozenset[Role],
    *,
    as_of: dt.date,
    classes_only: bool,
    personal_chat: bool,
) -> tuple[Card, list[int]]:
    """The school card for someone with these roles, and the ids of the pupils it names (to audit)."""
    names_allowed = digest_names_pupils(roles, personal_chat=personal_chat) and not classes_only
    at_threshold: list[q.CostLine] = []
    total = 0
    if names_allowed and digest.money is not None and digest.money.at_80:
        at_threshold = await q.fy_costs(
            session,
            Target((digest.school_id,)),
            digest.week,
            at_least_pence=-(-digest.money.threshold_pence * 4 // 5),
            limit=MAX_NAMES,
        )
        total = digest.money.at_80
    card = digest_card(
        digest,
        as_of=as_of,
        classes_only=classes_only,
        show_money=digest_shows_money(roles) and not classes_only,
        names_allowed=names_allowed,
        at_threshold=at_threshold,
        at_threshold_total=total,
    )
    return card, [c.pupil.pupil_id for c in at_threshold]


async def trust_card(session: AsyncSession, school_ids: list[int], week: IsoWeek, *, as_of: dt.date) -> Card:
    digests = await q.digests_for(session, Target(tuple(school_ids)), week, as_of=as_of) if school_ids else {}
    return trust_card_of(digests, school_ids, week, as_of=as_of)


def trust_card_of(
    digests: dict[int, Digest], school_ids: Iterable[int], week: IsoWeek, *, as_of: dt.date
) -> Card:
    """The trust card from digests already computed (the planner computes every school in one pass)."""
    ordered = sorted((digests[s] for s in school_ids), key=lambda d: (d.school_name, d.school_id))
    return trust_digest_card(ordered, week, as_of=as_of)
