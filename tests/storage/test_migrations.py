"""The migration chain runs both ways on each backend, and the models match the migrations."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import migrate
from storage.models import AuditEvent, Base, NeedType, RegisterEntry, utcnow


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


def test_migration_chain_down_and_up(database_url: str) -> None:
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)


async def test_need_types_are_seeded_with_census_rules(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        needs = {n.code: n for n in (await session.execute(select(NeedType))).scalars()}
    assert set(needs) == {
        "SPLD",
        "MLD",
        "SLD",
        "PMLD",
        "SEMH",
        "SLCN",
        "ASD",
        "HI",
        "VI",
        "MSI",
        "PD",
        "OTH",
        "NSA",
    }
    assert needs["NSA"].only_with_sen_support and not needs["ASD"].only_with_sen_support
    assert needs["SLCN"].broad_area == "Communication and interaction"


async def test_audit_trail_refuses_update_and_delete(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        session.add(AuditEvent(action="test", at=utcnow()))
    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(update(AuditEvent).values(action="tampered"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(text("DELETE FROM audit_event"))
    async with sessions() as session:
        assert await session.scalar(select(AuditEvent.action)) == "test"


async def test_register_requires_a_need_for_k_and_e(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            pupil_id = await session.scalar(select(func.min(RegisterEntry.pupil_id)))
            session.add(
                RegisterEntry(pupil_id=pupil_id, status="K", started_on=dt.date(2026, 1, 5), reason="test")
            )


async def test_timestamps_come_back_in_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    moment = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    async with sessions.begin() as session:
        session.add(AuditEvent(action="tz", at=moment))
    async with sessions() as session:
        stored = await session.scalar(select(AuditEvent.at).where(AuditEvent.action == "tz"))
    assert stored == moment and stored.tzinfo is dt.UTC
