"""Roster sync from Microsoft Graph (School Data Sync): classes, their students and teachers, and the
Entra object ids of staff. The only module importing msgraph.

Why this shape:
- everything is fetched first, then applied in one transaction per school through the same
  storage.queries.roster.apply as a CSV import: a sync that fails half-way (network, throttling that
  outlasts the retries, an empty answer) writes nothing and the previous roster stays as it was;
- paging follows @odata.nextLink to the end; throttling (429/503 with Retry-After) is retried by the
  SDK's retry handler, which honours Retry-After (tests prove it against a fake server);
- classes are fetched with bounded concurrency so a trust of 100 schools stays within Graph's limits.
Permissions (application): EduRoster.Read.All for /education, User.Read.All for /users.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import structlog
from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.roster.csv_import import grant_configured_admins
from bot.settings import Settings
from storage.models import Role, School, utcnow
from storage.queries import audit, roster
from storage.queries.roster import staff as roster_staff
from storage.queries.roster.records import ClassRecord, Enrolment, PupilRecord, Roster, StaffRecord

log = structlog.get_logger(__name__)

SCOPES = ["https://graph.microsoft.com/.default"]
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_GRADE = re.compile(r"-?\d{1,2}")


# azure-identity's async credential in production; tests pass one that returns a static token.
Credential = AsyncTokenCredential
CredentialFactory = Callable[[str], Credential]


class GraphSyncError(Exception):
    """The sync cannot be trusted (e.g. Graph answered with no classes at all): nothing is written."""


@dataclass
class SyncReport:
    school_id: int
    ok: bool
    changes: int = 0
    skipped: int = 0
    error: str | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.ok:
            return f"school {self.school_id}: sync failed ({self.error}); the previous roster is unchanged"
        return f"school {self.school_id}: {self.changes} changes, {self.skipped} Graph records skipped"


def make_client(settings: Settings, credential: Credential) -> GraphServiceClient:
    host = urlparse(settings.graph_base_url).hostname or ""
    auth = AzureIdentityAuthenticationProvider(credential, scopes=SCOPES, allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = settings.graph_base_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter)


def secret_credential(settings: Settings) -> CredentialFactory:
    def factory(tenant_id: str) -> Credential:
        return ClientSecretCredential(tenant_id, settings.app_id, settings.app_password.get_secret_value())

    return factory


async def _all(builder: Any) -> list[Any]:
    """Every item of a collection, following @odata.nextLink page by page."""
    page = await builder.get()
    items = list(page.value or []) if page else []
    while page is not None and page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get()
        items.extend(page.value or [] if page else [])
    return items


@dataclass
class GraphRoster:
    classes: list[Any]
    members: dict[str, list[Any]]
    teachers: dict[str, list[Any]]
    users: list[Any]


async def fetch(
    client: GraphServiceClient, school: School, *, schools_in_tenant: int, concurrency: int
) -> GraphRoster:
    if schools_in_tenant == 1:
        classes = await _all(client.education.classes)
    else:
        # Several schools share the tenant: take the classes of the Graph school with this URN.
        graph_schools = await _all(client.education.schools)
        match = [s for s in graph_schools if school.urn and school.urn in (s.school_number, s.external_id)]
        if not match:
            raise GraphSyncError("no Graph school has this school's URN as schoolNumber or externalId")
        classes = await _all(client.education.schools.by_education_school_id(match[0].id).classes)
    if not classes:
        raise GraphSyncError("Graph returned no classes")
    gate = asyncio.Semaphore(concurrency)

    async def bounded(call: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        async with gate:
            return await call()

    def members_of(cid: str) -> Callable[[], Awaitable[list[Any]]]:
        return lambda: _all(client.education.classes.by_education_class_id(cid).members)

    def teachers_of(cid: str) -> Callable[[], Awaitable[list[Any]]]:
        return lambda: _all(client.education.classes.by_education_class_id(cid).teachers)

    ids = [c.id for c in classes if c.id]
    found = await asyncio.gather(
        *(bounded(members_of(c)) for c in ids), *(bounded(teachers_of(c)) for c in ids)
    )
    users = await _all(client.users)
    return GraphRoster(
        classes=classes,
        members=dict(zip(ids, found[: len(ids)], strict=True)),
        teachers=dict(zip(ids, found[len(ids) :], strict=True)),
        users=users,
    )


def _grade(*values: str | None) -> int | None:
    for value in values:
        m = _GRADE.search(value or "")
        if m and -1 <= int(m.group()) <= 14:
            return int(m.group())
    return None


def to_roster(data: GraphRoster) -> tuple[Roster, dict[str, str], int]:
    """Graph objects → the records a CSV import would give; (roster, email → object id, skipped)."""
    classes: list[ClassRecord] = []
    pupils: dict[str, PupilRecord] = {}
    teachers: dict[str, StaffRecord] = {}
    enrolments: set[Enrolment] = set()
    skipped = 0
    for cls in data.classes:
        if not cls.id or not _ID.match(cls.id):
            skipped += 1
            continue
        name = (cls.display_name or cls.id)[:100]
        classes.append(ClassRecord(external_id=cls.id, name=name, year_group=_grade(cls.grade)))
        for m in data.members.get(cls.id, []):
            student = m.student
            mis_id = (student and (student.external_id or student.student_number)) or m.id
            born = student.birth_date if student else None
            year = _grade(student.grade if student else None, cls.grade)
            if not (
                mis_id and _ID.match(mis_id) and m.given_name and m.surname and born and year is not None
            ):
                skipped += 1
                continue
            pupils[mis_id] = PupilRecord(mis_id, m.given_name[:100], m.surname[:100], year, born)
            enrolments.add(Enrolment(cls.id, "pupil", mis_id))
        for t in data.teachers.get(cls.id, []):
            email = (t.mail or t.user_principal_name or "").lower()
            if "@" not in email:
                skipped += 1
                continue
            name = (t.display_name or email)[:200]
            teachers[email] = StaffRecord(name, email, roles=frozenset({Role.TEACHER}), aad_object_id=t.id)
            enrolments.add(Enrolment(cls.id, "staff", email))
    object_ids: dict[str, str] = {}
    for u in data.users:
        for address in (u.mail, u.user_principal_name):
            if address and u.id:
                object_ids[address.lower()] = u.id
    result = Roster(
        pupils=list(pupils.values()),
        staff=list(teachers.values()),
        classes=classes,
        enrolments=sorted(enrolments, key=lambda e: (e.class_id, e.member, e.key)),
        staff_complete=False,
    )
    return result, object_ids, skipped


async def sync_school(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: GraphServiceClient,
    school: School,
    *,
    schools_in_tenant: int,
    now: dt.datetime,
    today: dt.date,
) -> SyncReport:
    try:
        data = await fetch(
            client, school, schools_in_tenant=schools_in_tenant, concurrency=settings.graph_concurrency
        )
        records, object_ids, skipped = to_roster(data)
        async with sessions.begin() as session:
            changes = await roster.apply(session, school.id, records, today=today, now=now, write=True)
            linked = await roster_staff.link_object_ids(session, school.id, object_ids)
            changes.add("staff", "object ids linked", linked)
            await grant_configured_admins(session, settings, now=now)
            audit.record(
                session,
                action="roster_graph",
                at=now,
                tenant_id=school.tenant_id,
                school_id=school.id,
                entity="school",
                entity_id=school.id,
                outcome="partial" if skipped or changes.problems else "ok",
            )
    except Exception as exc:  # any failure leaves the roster as it was; reported, logged once
        log.warning("graph_sync_failed", school_id=school.id, error=type(exc).__name__)
        return SyncReport(
            school.id, ok=False, error=type(exc).__name__ if not isinstance(exc, GraphSyncError) else str(exc)
        )
    log.info("graph_sync_done", school_id=school.id, changes=changes.total, skipped=skipped)
    return SyncReport(
        school.id,
        ok=True,
        changes=changes.total,
        skipped=skipped + len(changes.problems),
        counts=changes.counts,
    )


async def sync_all(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    school_urn: str | None = None,
    credentials: CredentialFactory | None = None,
    now: dt.datetime | None = None,
) -> list[SyncReport]:
    """The scheduled job (and `senbot sync`): every school, one tenant credential at a time.

    Running it twice (two replicas at 02:30) is harmless: the second run finds nothing to change.
    """
    now = now or utcnow()
    async with sessions() as session:
        stmt = select(School).order_by(School.tenant_id, School.id)
        schools: Sequence[School] = list((await session.execute(stmt)).scalars())
    per_tenant: dict[str, list[School]] = {}
    for s in schools:
        per_tenant.setdefault(s.tenant_id, []).append(s)
    factory = credentials or secret_credential(settings)
    reports: list[SyncReport] = []
    for tenant, members in per_tenant.items():
        chosen = [s for s in members if school_urn is None or s.urn == school_urn]
        if not chosen:
            continue
        credential = factory(tenant)
        try:
            client = make_client(settings, credential)
            for school in chosen:
                reports.append(
                    await sync_school(
                        sessions,
                        settings,
                        client,
                        school,
                        schools_in_tenant=len(members),
                        now=now,
                        today=now.date(),
                    )
                )
        finally:
            await credential.close()
    return reports
