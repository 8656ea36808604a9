"""Enqueueing is exactly-once per key, on both backends, even from concurrent transactions."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Outbox, Staff, utcnow
from storage.queries.outbox import enqueue, message_payload


async def first_staff(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        staff_id = await session.scalar(select(func.min(Staff.id)))
    assert staff_id is not None
    return int(staff_id)


async def test_same_key_twice_creates_one_row(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    staff_id = await first_staff(sessions)
    payload = message_payload(text="Reviews due")
    results = []
    for _ in range(2):
        async with sessions.begin() as session:
            results.append(
                await enqueue(
                    session,
                    kind="review_due",
                    period_key="review_due:1:soon",
                    recipient_id=staff_id,
                    payload=payload,
                    now=utcnow(),
                )
            )
    assert results == [True, False]
    async with sessions() as session:
        rows = (await session.execute(select(Outbox))).scalars().all()
    assert [(r.period_key, r.status, r.payload) for r in rows] == [("review_due:1:soon", "pending", payload)]


async def test_concurrent_enqueues_of_one_key_create_one_row(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    staff_id = await first_staff(sessions)

    async def one() -> bool:
        async with sessions.begin() as session:
            return await enqueue(
                session,
                kind="digest",
                period_key="weekly_digest:1:2026-W48",
                recipient_id=staff_id,
                payload=message_payload(text="x"),
                now=utcnow(),
            )

    outcomes = await asyncio.gather(*(one() for _ in range(5)))
    assert sorted(outcomes) == [False, False, False, False, True]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 1


def test_payload_needs_content() -> None:
    with pytest.raises(ValueError, match="card or a text"):
        message_payload()
