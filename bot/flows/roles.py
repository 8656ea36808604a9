"""`roles`: list who holds which role, and grant or revoke one by email (SENCO and admin).

Why these rules (bot.rules.policy): the SENCO organises the school's SEN staff but may not make
administrators or trust leads; a school is never left without an administrator. Every change is
audited with ids only; a refused change is audited too, in its own transaction.
Mentions are not used to name the person: in Teams a mention carries the 29: channel id and a
display name, neither of which we trust as a key, so the email address is what identifies someone.
"""

from __future__ import annotations

import re

from bot.rules.policy import ROLE_MANAGERS, grantable_roles
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.router import Router
from cards import texts
from cards.common import notice
from cards.roles import RoleLine, roles_card
from storage.models import Role
from storage.queries import roles as queries

MAX_ARGS = 300
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# Teams may wrap an address in a mailto link or send a mention as <at>…</at>: keep the words only.
_TAGS = re.compile(r"<[^>]*>")
ALL_ROLES = [r.value for r in Role]


def add_routes(router: Router) -> None:
    router.command(
        "roles",
        summary="Who holds which role; grant or revoke one",
        usage="roles \u00b7 roles grant [email] [role] \u00b7 roles revoke [email] [role]",
        roles=ROLE_MANAGERS,
        menu=False,  # an administrator's occasional task; the Teams menu holds at most 10 commands
    )(roles)


async def roles(turn: TurnContext) -> Outbound:
    args = turn.inbound.args
    if len(args) > MAX_ARGS:
        raise UserError(texts.ROLES_TOO_LONG)
    words = _TAGS.sub(" ", args).split()
    if not words:
        return await _list(turn)
    action = words[0].lower()
    if action not in ("grant", "revoke") or len(words) != 3:
        raise UserError(texts.ROLES_USAGE.format(roles=", ".join(ALL_ROLES)))
    email, role_word = words[1].removeprefix("mailto:").lower(), words[2].lower()
    if not _EMAIL.match(email):
        raise UserError(texts.ROLES_BAD_EMAIL.format(email=email[:80]))
    if role_word not in ALL_ROLES:
        raise UserError(texts.ROLES_UNKNOWN_ROLE.format(role=role_word[:40], roles=", ".join(ALL_ROLES)))
    role = Role(role_word)
    target = await queries.staff_by_email(turn.session, turn.actor.school_id, email)
    if target is None:
        raise UserError(texts.ROLES_UNKNOWN_PERSON.format(email=email))
    if role not in grantable_roles(turn.actor):
        await turn.audit_refused(f"role_{action}", entity="staff_role", entity_id=f"{target.staff_id}:{role}")
        raise UserError(texts.ROLES_NOT_YOURS.format(role=role.value))
    if action == "grant":
        if role.value in target.roles:
            return Outbound.card(notice(texts.ROLES_ALREADY.format(name=target.display_name, role=role)))
        await queries.grant(
            turn.session,
            staff_id=target.staff_id,
            school_id=turn.actor.school_id,
            role=role,
            by=turn.actor.staff_id,
            now=turn.now,
        )
        turn.audit("role_granted", entity="staff_role", entity_id=f"{target.staff_id}:{role}")
        return Outbound.card(notice(texts.ROLES_GRANTED.format(name=target.display_name, role=role)))
    if role.value not in target.roles:
        return Outbound.card(notice(texts.ROLES_NOT_HELD.format(name=target.display_name, role=role)))
    # The last-admin rule (bot.rules.policy.may_revoke_admin) is checked by the revocation itself, in
    # the database, so two admins revoking each other at once cannot both succeed.
    if not await queries.revoke(
        turn.session, staff_id=target.staff_id, school_id=turn.actor.school_id, role=role
    ):
        # The turn's transaction holds the school's lock (and SQLite's write lock): let go of it before
        # the refusal is recorded in a transaction of its own.
        await turn.session.rollback()
        await turn.audit_refused("role_revoke", entity="staff_role", entity_id=f"{target.staff_id}:{role}")
        raise UserError(texts.ROLES_LAST_ADMIN.format(name=target.display_name))
    turn.audit("role_revoked", entity="staff_role", entity_id=f"{target.staff_id}:{role}")
    return Outbound.card(notice(texts.ROLES_REVOKED.format(name=target.display_name, role=role)))


async def _list(turn: TurnContext) -> Outbound:
    rows = await queries.staff_with_roles(turn.session, turn.actor.school_id)
    total = await queries.count_with_roles(turn.session, turn.actor.school_id)
    turn.audit("roles_listed", entity="school", entity_id=turn.actor.school_id)
    return Outbound.card(
        roles_card(
            school=turn.school_name,
            lines=[RoleLine(r.display_name, r.email, r.roles) for r in rows],
            total=total,
            all_roles=ALL_ROLES,
        )
    )
