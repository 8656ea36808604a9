"""Two admins revoking each other at the same moment: the school keeps one (real HTTP, both databases)."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select

from cards import texts
from storage.models import Role, Staff, StaffRole
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.wire.test_conversation import card_texts

LYNNE = act.User("00000000-0000-0000-0000-0000000000025", "Lynne Robbins")
DAN = act.User("d0000000-0000-4000-8000-000000000011", "Dan Wright")
EMAILS = {LYNNE: "lynne.robbins@oakfield.example", DAN: "dan.wright@oakfield.example"}
ROUNDS = 15


async def admins(bot: BotUnderTest) -> set[str]:
    async with bot.sessions() as session:
        rows = await session.scalars(
            select(Staff.email)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == Role.ADMIN.value)
        )
        return set(rows)


async def make_lynne_and_dan_the_only_admins(bot: BotUnderTest) -> None:
    async with bot.sessions.begin() as session:
        await session.execute(delete(StaffRole).where(StaffRole.role == Role.ADMIN.value))
        ids = await session.scalars(select(Staff.id).where(Staff.email.in_(EMAILS.values())))
        session.add_all(StaffRole(staff_id=i, role=Role.ADMIN.value) for i in ids)


async def revoke(bot: BotUnderTest, actor: act.User, other: act.User) -> str:
    text = f"roles revoke {EMAILS[other]} admin"
    status, _ = await bot.post(act.message(text, bot.service_url, user=actor))
    assert status == 201
    return text


async def test_two_admins_revoking_each_other_at_once_leave_one_admin(bot: BotUnderTest) -> None:
    for _ in range(ROUNDS):
        await make_lynne_and_dan_the_only_admins(bot)
        before = len(bot.connector.messages())
        await asyncio.gather(revoke(bot, LYNNE, DAN), revoke(bot, DAN, LYNNE))
        left = await admins(bot)
        assert len(left) == 1, left
        answers = sorted(card_texts(m.cards[0]) for m in bot.connector.messages()[before:])
        assert len(answers) == 2
        # One was told it worked. The other was refused: by the last-admin rule, or, when the first had
        # already committed before the second turn read its actor or target, as no longer an admin.
        done, refused = sorted(answers, key=lambda a: "no longer" not in a)
        assert "no longer" in done
        refusals = {texts.NOT_ALLOWED} | {
            t.format(name=n, role="admin")
            for t in (texts.ROLES_LAST_ADMIN, texts.ROLES_NOT_HELD)
            for n in ("Lynne Robbins", "Dan Wright")
        }
        assert refused in refusals, refused
