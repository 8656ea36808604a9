"""`roles` through real HTTP: list, grant, revoke, and every refusal (audited) and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cards import texts
from storage.models import AuditEvent, Staff, StaffRole, TrustSchool
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.wire.test_conversation import card_texts

SENCO_ONLY = act.User("00000000-0000-0000-0000-0000000000026", "Sara Senco")


async def say(bot: BotUnderTest, text: str, user: act.User = act.SENCO) -> str:
    before = len(bot.connector.messages())
    status, _ = await bot.post(act.message(text, bot.service_url, user=user))
    assert status == 201
    sent = bot.connector.messages()[before:]
    assert len(sent) == 1
    return card_texts(sent[0].cards[0])


async def roles_of(bot: BotUnderTest, email: str) -> set[str]:
    async with bot.sessions() as session:
        staff = (await session.execute(select(Staff).where(Staff.email == email))).scalar_one()
        return {r.role for r in staff.roles}


async def events(bot: BotUnderTest, action: str) -> list[AuditEvent]:
    async with bot.sessions() as session:
        return list((await session.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


@pytest.fixture
async def senco_only(bot: BotUnderTest) -> BotUnderTest:
    """A second member of staff who is SENCO and nothing else (the demo SENCO is also an admin)."""
    async with bot.sessions.begin() as session:
        school_id = await session.scalar(select(Staff.school_id).limit(1))
        staff = Staff(
            school_id=school_id,
            aad_object_id=SENCO_ONLY.aad_object_id,
            display_name=SENCO_ONLY.name,
            email="sara.senco@oakfield.example",
        )
        staff.roles = [StaffRole(role="senco")]
        session.add(staff)
    return bot


async def test_roles_lists_staff_with_their_roles(bot: BotUnderTest) -> None:
    body = await say(bot, "roles")
    assert texts.ROLES_TITLE.format(school="Oakfield Primary School") in body
    assert "Alex Wilber (alex.wilber@oakfield.example)" in body and "admin, senco, teacher" in body
    assert "ellie.brooks@oakfield.example" in body
    [event] = await events(bot, "roles_listed")
    assert event.outcome == "ok" and event.actor_id is not None


async def test_grant_then_revoke_is_written_and_audited(bot: BotUnderTest) -> None:
    body = await say(bot, "roles grant Ellie.Brooks@oakfield.example senco")
    assert body == texts.ROLES_GRANTED.format(name="Ellie Brooks", role="senco")
    assert await roles_of(bot, "ellie.brooks@oakfield.example") == {"teacher", "senco"}
    [granted] = await events(bot, "role_granted")
    assert granted.entity == "staff_role" and granted.entity_id.endswith(":senco")
    # Replayed: nothing changes, no second event.
    again = await say(bot, "roles grant ellie.brooks@oakfield.example senco")
    assert again == texts.ROLES_ALREADY.format(name="Ellie Brooks", role="senco")
    assert len(await events(bot, "role_granted")) == 1
    body = await say(bot, "roles revoke ellie.brooks@oakfield.example senco")
    assert body == texts.ROLES_REVOKED.format(name="Ellie Brooks", role="senco")
    assert await roles_of(bot, "ellie.brooks@oakfield.example") == {"teacher"}
    assert len(await events(bot, "role_revoked")) == 1
    assert await say(bot, "roles revoke ellie.brooks@oakfield.example senco") == texts.ROLES_NOT_HELD.format(
        name="Ellie Brooks", role="senco"
    )


async def test_an_email_in_a_mailto_link_is_understood(bot: BotUnderTest) -> None:
    text = 'roles grant <a href="mailto:chris.lee@oakfield.example">chris.lee@oakfield.example</a> teacher'
    assert await say(bot, text) == texts.ROLES_GRANTED.format(name="Chris Lee", role="teacher")


async def test_trust_lead_grant_lists_the_school_for_totals(bot: BotUnderTest) -> None:
    await say(bot, "roles grant priya.shah@oakfield.example trust_lead")
    async with bot.sessions() as session:
        assert len((await session.execute(select(TrustSchool))).all()) == 1
    await say(bot, "roles revoke priya.shah@oakfield.example trust_lead")
    async with bot.sessions() as session:
        assert (await session.execute(select(TrustSchool))).all() == []


async def test_teachers_are_refused_and_the_attempt_audited(bot: BotUnderTest) -> None:
    body = await say(bot, "roles grant ellie.brooks@oakfield.example admin", user=act.TEACHER)
    assert body == texts.NOT_ALLOWED
    assert await roles_of(bot, "ellie.brooks@oakfield.example") == {"teacher"}
    [event] = await events(bot, "route_refused")
    assert event.entity_id == "roles" and event.outcome == "refused"


async def test_a_senco_may_not_grant_admin_and_the_refusal_is_audited(senco_only: BotUnderTest) -> None:
    bot = senco_only
    body = await say(bot, "roles grant ellie.brooks@oakfield.example admin", user=SENCO_ONLY)
    assert body == texts.ROLES_NOT_YOURS.format(role="admin")
    assert await roles_of(bot, "ellie.brooks@oakfield.example") == {"teacher"}
    [event] = await events(bot, "role_grant")
    assert event.outcome == "refused" and event.entity_id.endswith(":admin")
    # ...but may grant a TA role.
    ok = await say(bot, "roles grant ellie.brooks@oakfield.example ta", user=SENCO_ONLY)
    assert ok == texts.ROLES_GRANTED.format(name="Ellie Brooks", role="ta")


async def test_the_last_admin_cannot_lose_the_role(bot: BotUnderTest) -> None:
    # The demo school has three admins: Alex (SENCO), Lynne and Dan. Take it from two of them...
    assert "no longer" in await say(bot, "roles revoke lynne.robbins@oakfield.example admin")
    assert "no longer" in await say(bot, "roles revoke dan.wright@oakfield.example admin")
    # ...then Alex, the last admin, cannot revoke their own.
    body = await say(bot, "roles revoke alex.wilber@oakfield.example admin")
    assert body == texts.ROLES_LAST_ADMIN.format(name="Alex Wilber")
    assert "admin" in await roles_of(bot, "alex.wilber@oakfield.example")
    [refused] = await events(bot, "role_revoke")
    assert refused.outcome == "refused"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roles grant not-an-email teacher", texts.ROLES_BAD_EMAIL.format(email="not-an-email")),
        (
            "roles grant <at>Ellie Brooks</at> teacher",
            texts.ROLES_USAGE.format(roles="teacher, ta, senco, head, admin, trust_lead, dpo"),
        ),
        (
            "roles grant ellie.brooks@oakfield.example wizard",
            texts.ROLES_UNKNOWN_ROLE.format(
                role="wizard", roles="teacher, ta, senco, head, admin, trust_lead, dpo"
            ),
        ),
        (
            "roles grant nobody@oakfield.example ta",
            texts.ROLES_UNKNOWN_PERSON.format(email="nobody@oakfield.example"),
        ),
        ("roles grant " + "x" * 400 + "@a.example ta", texts.ROLES_TOO_LONG),
        (
            "roles promote ellie.brooks@oakfield.example ta",
            texts.ROLES_USAGE.format(roles="teacher, ta, senco, head, admin, trust_lead, dpo"),
        ),
        (
            "roles grant ellie.brooks@oakfield.example",
            texts.ROLES_USAGE.format(roles="teacher, ta, senco, head, admin, trust_lead, dpo"),
        ),
    ],
)
async def test_bad_input_is_answered_and_changes_nothing(bot: BotUnderTest, text: str, expected: str) -> None:
    assert await say(bot, text) == expected
    assert await roles_of(bot, "ellie.brooks@oakfield.example") == {"teacher"}
    assert await events(bot, "role_granted") == []


async def test_someone_in_another_school_cannot_be_found(bot: BotUnderTest) -> None:
    from storage.models import School

    async with bot.sessions.begin() as session:
        other = School(tenant_id="other", name="Elsewhere")
        session.add(other)
        await session.flush()
        session.add(Staff(school_id=other.id, display_name="Far Away", email="far@elsewhere.example"))
    body = await say(bot, "roles grant far@elsewhere.example admin")
    assert body == texts.ROLES_UNKNOWN_PERSON.format(email="far@elsewhere.example")


async def test_roles_is_refused_in_a_channel(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.channel_mention("roles", bot.service_url))
    assert status == 201
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.PERSONAL_ONLY.format(command="roles")
