"""The outbox dispatcher through the real seam to the fake connector over HTTP (SQLite and PostgreSQL).

Time is simulated: the dispatcher's clock and sleep are a FakeClock, so backoff and pacing are data.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.jobs.outbox import (
    GONE,
    WAITING_FOR_PERSON,
    DispatchConfig,
    OutboxDispatcher,
    retry_after_seconds,
)
from bot.server.http import SEAM_KEY
from bot.turn.core import ConversationAddress, Message, SendFailed
from storage.models import ConversationRef, Outbox, Staff
from storage.queries.outbox import claim_due, enqueue, mark_sent, message_payload
from tests.conftest import BotUnderTest
from tests.support.clock import FakeClock

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


async def staff_ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list((await session.execute(select(Staff.id).order_by(Staff.id))).scalars())


async def give_conversations(
    sessions: async_sessionmaker[AsyncSession], service_url: str, ids: list[int], tenant: str = "t1"
) -> None:
    async with sessions.begin() as session:
        for staff_id in ids:
            session.add(
                ConversationRef(
                    staff_id=staff_id,
                    tenant_id=tenant,
                    channel_id="msteams",
                    service_url=service_url,
                    conversation_id=f"a:conv-{staff_id}",
                    bot_id="28:bot",
                    user_id=f"29:user-{staff_id}",
                    updated_at=T0,
                )
            )


async def queue(sessions: async_sessionmaker[AsyncSession], key: str, recipient: int, text: str) -> int:
    async with sessions.begin() as session:
        assert await enqueue(
            session,
            kind="test",
            period_key=key,
            recipient_id=recipient,
            payload=message_payload(text=text),
            now=T0,
        )
        row_id = await session.scalar(select(Outbox.id).where(Outbox.period_key == key))
    assert row_id is not None
    return int(row_id)


async def row(sessions: async_sessionmaker[AsyncSession], row_id: int) -> Outbox:
    async with sessions() as session:
        found = await session.get(Outbox, row_id)
    assert found is not None
    return found


def dispatcher(bot: BotUnderTest, clock: FakeClock, **config: object) -> OutboxDispatcher:
    return OutboxDispatcher(
        bot.sessions,
        bot.app[SEAM_KEY],
        clock,
        DispatchConfig(**config),  # type: ignore[arg-type]
        sleep=clock.sleep,
        rng=random.Random(7),
    )


async def test_a_row_is_sent_once_with_its_activity_id(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco])
    row_id = await queue(bot.sessions, "k:1", senco, "Reviews due")
    bot.connector.sent.clear()
    clock = FakeClock(T0)
    first = await dispatcher(bot, clock).run_once()
    again = await dispatcher(bot, clock).run_once()

    [message] = bot.connector.messages()
    assert message.path == f"/v3/conversations/a:conv-{senco}/activities"
    assert message.text == "Reviews due"
    stored = await row(bot.sessions, row_id)
    assert (stored.status, stored.attempts, stored.sent_activity_id) == ("sent", 1, message.response_id)
    assert stored.lease_owner is None and stored.lease_until is None
    assert (first.sent, again.claimed) == (1, 0)


async def test_429_then_500_then_200_delivers_exactly_once(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco])
    row_id = await queue(bot.sessions, "k:retry", senco, "hello")
    bot.connector.sent.clear()
    bot.connector.failures.extend([(429, {"Retry-After": "30"}), (500, {})])
    clock = FakeClock(T0)
    worker = dispatcher(bot, clock, backoff_base_seconds=2.0)

    assert (await worker.run_once()).retried == 1
    after_429 = await row(bot.sessions, row_id)
    assert after_429.status == "failed" and after_429.attempts == 1 and after_429.last_error == "HTTP 429"
    # Retry-After is honoured: not claimable before 30 s have passed.
    assert after_429.next_attempt_at >= T0 + dt.timedelta(seconds=30)
    clock.advance(29)
    assert (await worker.run_once()).claimed == 0
    clock.now = after_429.next_attempt_at

    assert (await worker.run_once()).retried == 1
    after_500 = await row(bot.sessions, row_id)
    assert after_500.status == "failed" and after_500.attempts == 2 and after_500.last_error == "HTTP 500"
    # Full jitter on the second attempt: somewhere in 0..4 s.
    assert clock.now <= after_500.next_attempt_at <= clock.now + dt.timedelta(seconds=4)
    clock.now = after_500.next_attempt_at

    assert (await worker.run_once()).sent == 1
    done = await row(bot.sessions, row_id)
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, None)
    # Three requests reached the connector (each failed one was not retried inside the SDK); one delivered.
    assert len(bot.connector.messages()) == 3
    assert [m.response_id is not None for m in bot.connector.messages()] == [False, False, True]


async def test_retry_after_as_http_date() -> None:
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("Mon, 30 Nov 2026 08:00:45 GMT", now) == 45
    assert retry_after_seconds("Mon, 30 Nov 2026 07:00:00 GMT", now) == 0
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


async def test_403_dead_letters_and_marks_the_person_unreachable(bot: BotUnderTest) -> None:
    [senco, other, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco, other])
    gone = await queue(bot.sessions, "k:gone", senco, "x")
    fine = await queue(bot.sessions, "k:fine", other, "y")
    bot.connector.sent.clear()
    bot.connector.failures.append((403, {}))
    clock = FakeClock(T0)
    report = await dispatcher(bot, clock, concurrency=1).run_once()
    assert (report.dead, report.sent) == (1, 1)

    dead = await row(bot.sessions, gone)
    assert (dead.status, dead.last_error) == ("dead", GONE.format(status=403))
    assert (await row(bot.sessions, fine)).status == "sent"
    async with bot.sessions() as session:
        unreachable = {s.id: s.unreachable_since for s in (await session.execute(select(Staff))).scalars()}
    assert unreachable[senco] is not None and T0 <= unreachable[senco] <= clock.now
    assert unreachable[other] is None
    # Dead rows are never picked up again.
    clock.advance(86400)
    assert (await dispatcher(bot, clock).run_once()).claimed == 0


async def test_404_dead_letters_too(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco])
    row_id = await queue(bot.sessions, "k:404", senco, "x")
    bot.connector.failures.append((404, {}))
    await dispatcher(bot, FakeClock(T0)).run_once()
    assert (await row(bot.sessions, row_id)).status == "dead"


async def test_no_conversation_reference_waits_with_a_clear_reason(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    row_id = await queue(bot.sessions, "k:nocon", senco, "x")
    bot.connector.sent.clear()
    report = await dispatcher(bot, FakeClock(T0)).run_once()
    stored = await row(bot.sessions, row_id)
    assert (stored.status, stored.last_error, report.dead, report.waiting) == (
        "waiting",
        WAITING_FOR_PERSON,
        0,
        1,
    )
    assert bot.connector.messages() == []


async def test_a_bad_request_is_dead_not_retried(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco])
    row_id = await queue(bot.sessions, "k:400", senco, "x")
    bot.connector.failures.append((400, {}))
    await dispatcher(bot, FakeClock(T0)).run_once()
    stored = await row(bot.sessions, row_id)
    assert (stored.status, stored.last_error) == ("dead", "refused: HTTP 400")


async def test_max_attempts_ends_dead(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco])
    row_id = await queue(bot.sessions, "k:max", senco, "x")
    bot.connector.failures.extend([(503, {})] * 3)
    clock = FakeClock(T0)
    worker = dispatcher(bot, clock, max_attempts=3)
    for _ in range(3):
        await worker.run_once()
        clock.advance(3600)
    stored = await row(bot.sessions, row_id)
    assert (stored.status, stored.attempts) == ("dead", 3)
    assert stored.last_error == "gave up after 3 attempts: HTTP 503"
    assert len(bot.connector.messages()) == 3


async def test_the_per_tenant_rate_cap_holds(bot: BotUnderTest) -> None:
    ids = await staff_ids(bot.sessions)
    tenant_a, tenant_b = ids[:8], ids[8:16]
    await give_conversations(bot.sessions, bot.service_url, tenant_a, tenant="tenant-a")
    await give_conversations(bot.sessions, bot.service_url, tenant_b, tenant="tenant-b")
    for n in range(60):
        await queue(bot.sessions, f"k:a:{n}", tenant_a[n % 8], f"a{n}")
        await queue(bot.sessions, f"k:b:{n}", tenant_b[n % 8], f"b{n}")
    bot.connector.sent.clear()
    clock = FakeClock(T0)
    stamps: list[tuple[str, float]] = []
    seam = bot.app[SEAM_KEY]

    class Timed:
        async def send_proactive(self, address, message):  # type: ignore[no-untyped-def]
            stamps.append((address.tenant_id, (clock.now - T0).total_seconds()))
            return await seam.send_proactive(address, message)

    worker = OutboxDispatcher(
        bot.sessions,
        Timed(),
        clock,
        DispatchConfig(batch_size=200, concurrency=8, rate_per_tenant=25.0),
        sleep=clock.sleep,
    )
    report = await worker.run_once()
    assert report.sent == 120 and len(bot.connector.messages()) == 120
    per_second = Counter((tenant, int(t)) for tenant, t in stamps)
    assert max(per_second.values()) <= 25
    # Each tenant has its own budget: both are sent in ~2.4 simulated seconds, not 4.8. A little more:
    # the lease renewal before each send is a database round trip the simulated clock does not wait for,
    # so a slot can pass while a send renews its lease.
    assert max(t for _, t in stamps) < 3.0


async def test_the_seam_turns_sdk_errors_into_send_failed(bot: BotUnderTest) -> None:
    seam = bot.app[SEAM_KEY]
    address = ConversationAddress("t1", "msteams", bot.service_url, "a:conv-x", "28:bot", "29:user")
    bot.connector.failures.append((503, {"Retry-After": "Mon, 30 Nov 2026 08:00:45 GMT"}))
    with pytest.raises(SendFailed) as refused:
        await seam.send_proactive(address, Message(text="x"))
    assert (refused.value.status, refused.value.retry_after) == (503, "Mon, 30 Nov 2026 08:00:45 GMT")
    # One request only: the seam never retries a proactive send (the dispatcher decides).
    assert len(bot.connector.messages()) == 1
    nobody = ConversationAddress("t1", "msteams", "http://127.0.0.1:9/", "a:conv-x", "28:bot", "29:user")
    started = time.monotonic()
    with pytest.raises(SendFailed) as unanswered:
        await seam.send_proactive(nobody, Message(text="x"))
    assert unanswered.value.status is None
    # msrest would retry a refused connection three times with 0.8 s·2^n backoff (≈ 4.8 s) in a thread.
    assert time.monotonic() - started < 1.5


async def test_a_claim_whose_owner_died_is_taken_after_the_lease(bot: BotUnderTest) -> None:
    [senco, *_] = await staff_ids(bot.sessions)
    await give_conversations(bot.sessions, bot.service_url, [senco])
    row_id = await queue(bot.sessions, "k:lease", senco, "hello")
    bot.connector.sent.clear()
    # A dispatcher claims the row and dies before sending (nothing settles it).
    async with bot.sessions.begin() as session:
        [claimed] = await claim_due(session, owner="dead-one", now=T0, lease_seconds=60, limit=10)
    assert claimed.id == row_id and claimed.attempts == 1
    clock = FakeClock(T0 + dt.timedelta(seconds=59))
    rescuer = dispatcher(bot, clock, lease_seconds=60)
    assert (await rescuer.run_once()).claimed == 0  # the lease still holds
    clock.advance(2)
    assert (await rescuer.run_once()).sent == 1
    stored = await row(bot.sessions, row_id)
    assert (stored.status, stored.attempts, len(bot.connector.messages())) == ("sent", 2, 1)
    # The dead owner, were it to wake up, can no longer settle the row.
    async with bot.sessions.begin() as session:
        assert not await mark_sent(session, row_id, owner="dead-one", activity_id="x", now=clock.now)
    assert (await row(bot.sessions, row_id)).sent_activity_id == bot.connector.messages()[0].response_id
