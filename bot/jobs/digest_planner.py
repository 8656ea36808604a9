"""The scheduled weekly digest: one outbox row per recipient per week, whatever the replicas and restarts.

Why the database decides (docs/design.md, "Scheduled work across replicas"): APScheduler only wakes each
replica;
`plan_weekly_digests` can run on every replica as often as wanted. For each school whose local time is past
its digest day and time (Monday 07:00 by default) this week, it enqueues the digest of the week just ended
for every recipient under the key `weekly_digest:<staff id>:<ISO week>`; the key is UNIQUE and the insert is
ON CONFLICT DO NOTHING, so a second planner, a retry or a restarted replica adds nothing. A replica that was
down at 07:00 enqueues when it next runs that week (catch-up). Recipients: the school's heads, staff the
school opted in (digest_recipient), and trust leads (one trust digest across their schools, on their own
school's schedule). Cards are built only for recipients who have no row yet, so a tick after the digests
went out costs two small queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flows.digest import school_card, trust_card_of
from storage.queries import digest as q
from storage.queries.digest import IsoWeek, Target
from storage.queries.outbox import Notification, enqueue_many, message_payload

log = structlog.get_logger(__name__)
KIND = "weekly_digest"


# A digest is useful for its week: one that could not be sent before the next is due is expired, not sent.
USEFUL_FOR = dt.timedelta(days=7)


def period_key(staff_id: int, week: IsoWeek) -> str:
    return f"{KIND}:{staff_id}:{week.label}"


def due_week(school: q.DigestSchool, now: dt.datetime) -> IsoWeek | None:
    """The week whose digest is due at `now` for this school, or None before this week's send time."""
    local = now.astimezone(ZoneInfo(school.time_zone))
    this_week = IsoWeek.containing(local.date())
    send_day = this_week.start + dt.timedelta(days=school.digest_weekday - 1)
    send_at = dt.datetime.combine(send_day, school.digest_time, tzinfo=local.tzinfo)
    if local < send_at:
        return None
    return this_week.shifted(-1)


async def plan_weekly_digests(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    """Enqueue the digests due at `now`; returns how many rows this call created."""
    async with sessions() as session:
        schools = await q.digest_schools(session)
    due = {s.school_id: w for s in schools if (w := due_week(s, now)) is not None}
    if not due:
        return 0
    async with sessions.begin() as session:
        recipients = await q.recipients(session, due)
        keys = {r.staff_id: period_key(r.staff_id, due[r.school_id]) for r in recipients}
        done = await q.existing_keys(session, list(keys.values()))
        todo = [r for r in recipients if keys[r.staff_id] not in done]
        if not todo:
            return 0
        # One pass per figure over every school any recipient needs, per week (normally one week).
        needed: dict[IsoWeek, set[int]] = defaultdict(set)
        for r in todo:
            week = due[r.school_id]
            needed[week].update(r.trust_school_ids if r.is_trust_lead else (r.school_id,))
        digests = {
            week: await q.digests_for(session, Target(tuple(sorted(ids))), week, as_of=week.end)
            for week, ids in needed.items()
        }
        notifications: list[Notification] = []
        for r in todo:
            week = due[r.school_id]
            if r.is_trust_lead:
                card = trust_card_of(digests[week], r.trust_school_ids, week, as_of=week.end)
            else:
                card, _ = await school_card(
                    session,
                    digests[week][r.school_id],
                    r.roles,
                    as_of=week.end,
                    classes_only=False,
                    personal_chat=True,  # delivered to the person's 1:1 chat
                )
            notifications.append(
                Notification(
                    kind=KIND,
                    period_key=keys[r.staff_id],
                    recipient_id=r.staff_id,
                    payload=message_payload(card=card),
                    subject=str(r.school_id),
                    expires_at=now + USEFUL_FOR,
                )
            )
        # One statement for the morning's rows, in key order (as the reminders planner does).
        created = len(await enqueue_many(session, notifications, now=now))
    log.info("weekly_digests_planned", created=created, schools=len(due))
    return created
