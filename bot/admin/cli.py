"""The `senbot` command: serve, db upgrade, seed-demo, package, outbox, export, import, sync, audit.

Why a CLI and not scripts: `senbot serve` and `senbot db upgrade` are the only entry points an
operator needs (docs/deploy.md), the same in a venv, a container or a systemd unit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from storage.queries.outbox import OperatorRow


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="senbot", description="SEN support bot for Microsoft Teams")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the bot (SENBOT_WORKERS processes; as python app.py)")
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="bring the database to the latest migration")
    db_sub.add_parser("current", help="show the database's migration")
    seed = sub.add_parser("seed-demo", help="create the demo school (once; does nothing if it exists)")
    seed.add_argument("--quiet", action="store_true")
    package = sub.add_parser("package", help="build the Teams app package (zip), checked first")
    package.add_argument("--out", type=Path, default=Path("senbot-teams.zip"), help="the zip to write")
    package.add_argument(
        "--template", type=Path, default=None, help="manifest template (default: manifest/manifest.json)"
    )

    outbox = sub.add_parser(
        "outbox",
        help="notifications pending, waiting, failing, dead or expired (ids and reasons, no contents)",
    )
    outbox.add_argument("--limit", type=int, default=20, help="how many of the latest rows to list")
    outbox_sub = outbox.add_subparsers(dest="outbox_command")
    retry = outbox_sub.add_parser("retry", help="requeue a dead-lettered notification")
    retry.add_argument("id", type=int)

    export = sub.add_parser("export", help="export data for spreadsheets and reports")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    pmap = export_sub.add_parser(
        "provision-map", help="per pupil, per provision and per class, for a date range"
    )
    pmap.add_argument("--from", dest="start", required=True, type=_date, help="first day, YYYY-MM-DD")
    pmap.add_argument("--to", dest="end", required=True, type=_date, help="last day, YYYY-MM-DD")
    pmap.add_argument("--format", choices=("csv", "xlsx"), required=True)
    pmap.add_argument("--out", required=True, type=Path, help="the file to write")
    pmap.add_argument("--school-urn", help="which school (needed when the database has several)")

    imp = sub.add_parser(
        "import",
        help="import a roster from MIS CSV files (pupils, staff, classes, enrolments; any subset)",
        description="Each file's kind is told by its header row; prefix a path with KIND= "
        "(pupils=, staff=, classes=, enrolments=) to insist on one.",
    )
    imp.add_argument("files", nargs="+", metavar="[KIND=]FILE")
    imp.add_argument("--school-urn", help="the school's URN (optional when there is only one school)")
    imp.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    imp.add_argument("--partial", action="store_true", help="skip rows with errors and import the rest")
    sync = sub.add_parser("sync", help="sync rosters from Microsoft Graph now (School Data Sync classes)")
    sync.add_argument("--school-urn", help="only this school")
    _record_parsers(sub)
    return parser


def _record_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Retention, legal holds and subject access (docs/retention.md)."""
    ret = sub.add_parser(
        "retention",
        help="delete the records past their retention date (never under a legal hold); --dry-run first",
    )
    ret.add_argument("--dry-run", action="store_true", help="count what is due; delete nothing")
    ret_sub = ret.add_subparsers(dest="retention_command")
    pol = ret_sub.add_parser("policy", help="show or change a school's retention policy")
    pol.add_argument("--school-urn", help="the school's URN (optional when there is only one school)")
    pol.add_argument("--keep-until-age", type=int, help="the last school keeps the SEN file until this age")
    pol.add_argument("--transferred-keep-days", type=int, help="days a transferred file's copy is kept")
    hold = sub.add_parser("hold", help="place (or --release) a legal hold: retention keeps the record")
    hold.add_argument("--pupil", type=int, required=True, help="the pupil's id")
    hold.add_argument("--by", required=True, help="the email of the SENCO or DPO who asks for it")
    hold.add_argument("--reason", required=True, help="why (a claim, a complaint, a safeguarding review)")
    hold.add_argument("--release", action="store_true", help="release the open hold instead")
    aud = sub.add_parser("audit", help="export everything held on a pupil (subject access request)")
    which = aud.add_mutually_exclusive_group(required=True)
    which.add_argument("--pupil", type=int, help="the pupil's id")
    which.add_argument("--name", help="find the pupil by name (with --dob to tell two apart)")
    which.add_argument("--mis-id", help="find the pupil by their MIS id")
    aud.add_argument("--dob", type=_date, help="the pupil's date of birth, YYYY-MM-DD")
    aud.add_argument("--out", required=True, help="the JSON file to write")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"senbot: {exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        from bot.server import logs
        from bot.server.serving import serve

        logs.configure(settings.log_level, settings.log_format)
        return serve(settings)
    if args.command == "db":
        from storage import migrate

        if args.db_command == "upgrade":
            migrate.upgrade(settings.database_url)
            print("senbot: database is at the latest migration", file=sys.stderr)
        else:
            migrate.current(settings.database_url)
        return 0
    if args.command == "seed-demo":
        created = asyncio.run(_seed(settings))
        if not args.quiet:
            print(
                "senbot: demo school created" if created else "senbot: demo school already there",
                file=sys.stderr,
            )
        return 0
    if args.command == "package":
        return _package(settings, args.out, args.template)

    if args.command == "outbox":
        if args.outbox_command == "retry":
            return asyncio.run(_outbox_retry(settings, args.id))
        print(asyncio.run(_outbox_report(settings, max(1, args.limit))))
        return 0

    if args.command == "export":
        if args.start > args.end:
            print("senbot: --from must be on or before --to", file=sys.stderr)
            return 2
        message = asyncio.run(
            _export_provision_map(
                settings, start=args.start, end=args.end, fmt=args.format, out=args.out, urn=args.school_urn
            )
        )
        print(f"senbot: {message}", file=sys.stderr)
        return 0 if message.startswith("wrote") else 2
    if args.command == "import":
        return asyncio.run(_import(settings, args.files, args.school_urn, args.dry_run, args.partial))
    if args.command == "sync":
        return asyncio.run(_sync(settings, args.school_urn))
    if args.command == "retention":
        if args.retention_command == "policy":
            return asyncio.run(
                _retention_policy(settings, args.school_urn, args.keep_until_age, args.transferred_keep_days)
            )
        return asyncio.run(_retention(settings, args.dry_run))
    if args.command == "hold":
        return asyncio.run(_hold(settings, args.pupil, args.by, args.reason, args.release))
    if args.command == "audit":
        return asyncio.run(
            _audit(settings, args.pupil, args.out, name=args.name, dob=args.dob, mis_id=args.mis_id)
        )
    return 1  # unreachable: argparse requires a command


def _package(settings: Settings, out: Path, template: Path | None) -> int:
    from bot.admin import packaging
    from bot.flows import build_router

    try:
        package = packaging.build(
            settings, build_router().menu_commands(), template=template or packaging.TEMPLATE
        )
    except packaging.PackageError as exc:
        print(f"senbot: the app package was not written ({len(exc.problems)} problems):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2 if any(p.startswith("SENBOT_") for p in exc.problems) else 1
    packaging.write(package, out)
    schema = (
        "checked against the Teams schema"
        if package.schema_checked
        else "NOT checked against the Teams schema (needs Node.js and `npm ci` in tests/node)"
    )
    print(f"senbot: wrote {out}: manifest {packaging.SCHEMA_VERSION}, {schema}", file=sys.stderr)
    return 0


def _date(text: str) -> dt.date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


async def _export_provision_map(
    settings: Settings, *, start: dt.date, end: dt.date, fmt: str, out: Path, urn: str | None
) -> str:
    from bot.admin import export
    from storage import db
    from storage.models import utcnow
    from storage.queries import audit, provision_map

    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine).begin() as session:
            school = await provision_map.school_by_urn(session, urn)
            if school is None:
                return "no single school matches: give --school-urn with the school's URN"
            school_id, school_name = school
            tables = export.tables(
                await provision_map.per_pupil(session, school_id, start, end),
                await provision_map.per_provision(session, school_id, start, end),
                await provision_map.per_class(session, school_id, start, end),
            )
            heading = export.describe(school_name, start, end)
            if fmt == "csv":
                export.write_csv(out, heading, tables)
            else:
                export.write_xlsx(out, heading, tables)
            audit.record(
                session,
                action="provision_map_exported",
                at=utcnow(),
                school_id=school_id,
                entity="school",
                entity_id=school_id,
            )
    finally:
        await engine.dispose()
    return f"wrote {out} ({fmt}, {len(tables[0].rows)} pupils)"


async def _import(settings: Settings, files: list[str], urn: str | None, dry_run: bool, partial: bool) -> int:
    import datetime as dt
    from pathlib import Path

    from bot.roster import csv_import as directory
    from storage import db
    from storage.models import utcnow

    now = utcnow()
    today = dt.date.today()
    paths: list[tuple[directory.Kind | None, Path]] = []
    for item in files:
        kind, sep, rest = item.partition("=")
        if sep and kind in directory.HEADERS:
            paths.append((kind, Path(rest)))
        else:
            paths.append((None, Path(item)))
    parsed, problems = directory.read_files(paths, today=today)
    if problems:
        print("\n".join(f"senbot: {p}" for p in problems), file=sys.stderr)
        return 1
    engine = db.create_engine(settings.database_url)
    try:
        report = await directory.import_roster(
            db.session_factory(engine),
            settings,
            parsed,
            school_urn=urn,
            dry_run=dry_run,
            partial=partial,
            now=now,
            today=today,
        )
    finally:
        await engine.dispose()
    print(directory.format_report(report, dry_run=dry_run))
    return 1 if report.errors and not report.written and not (partial and report.changes) else 0


async def _sync(settings: Settings, urn: str | None) -> int:
    from bot.roster import graph_sync as graph
    from storage import db

    engine = db.create_engine(settings.database_url)
    try:
        reports = await graph.sync_all(db.session_factory(engine), settings, school_urn=urn)
    finally:
        await engine.dispose()
    for r in reports:
        print(r.summary())
    return 0 if reports and all(r.ok for r in reports) else 1


async def _audit(
    settings: Settings,
    pupil_id: int | None,
    out: str,
    *,
    name: str | None,
    dob: dt.date | None,
    mis_id: str | None,
) -> int:
    from pathlib import Path

    from bot.admin import subject_access
    from storage import db
    from storage.models import utcnow
    from storage.queries.subject_access import find_pupils

    engine = db.create_engine(settings.database_url)
    try:
        if pupil_id is None:
            async with db.session_factory(engine)() as session:
                matches = await find_pupils(session, name=name, born=dob, mis_id=mis_id)
            if len(matches) != 1:
                # On the server, for the DPO: enough to tell the candidates apart, then --pupil ID.
                print(
                    f"senbot: {len(matches) or 'no'} pupils match; give --pupil with one id:", file=sys.stderr
                )
                for p in matches:
                    who = f"{p.mis_id}  {p.display_name}  born {p.date_of_birth}"
                    print(f"  {p.id}  school {p.school_id}  {who}", file=sys.stderr)
                return 1
            pupil_id = matches[0].id
        found = await subject_access.export(db.session_factory(engine), pupil_id, Path(out), now=utcnow())
    finally:
        await engine.dispose()
    if not found:
        print(f"senbot: no pupil with id {pupil_id}", file=sys.stderr)
        return 1
    print(f"senbot: wrote everything held on pupil {pupil_id} to {out}", file=sys.stderr)
    return 0


async def _retention(settings: Settings, dry_run: bool) -> int:
    from bot.jobs.retention import run_retention
    from storage import db
    from storage.models import utcnow

    engine = db.create_engine(settings.database_url)
    try:
        report = await run_retention(db.session_factory(engine), now=utcnow(), dry_run=dry_run)
    finally:
        await engine.dispose()
    print(report.summary())
    return 0


async def _retention_policy(
    settings: Settings, urn: str | None, keep_until_age: int | None, transferred_keep_days: int | None
) -> int:
    from storage import db
    from storage.models import utcnow
    from storage.queries import provision_map, retention

    if keep_until_age is not None and not 18 <= keep_until_age <= 100:
        print("senbot: --keep-until-age must be between 18 and 100", file=sys.stderr)
        return 2
    if transferred_keep_days is not None and not 0 <= transferred_keep_days <= 3650:
        print("senbot: --transferred-keep-days must be between 0 and 3650", file=sys.stderr)
        return 2
    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine).begin() as session:
            school = await provision_map.school_by_urn(session, urn)
            if school is None:
                print(
                    "senbot: no single school matches: give --school-urn with the school's URN",
                    file=sys.stderr,
                )
                return 2
            if keep_until_age is None and transferred_keep_days is None:
                policy = await retention.policy_of(session, school[0])
            else:
                policy = await retention.set_policy(
                    session,
                    school[0],
                    keep_until_age=keep_until_age,
                    transferred_keep_days=transferred_keep_days,
                    by=None,
                    now=utcnow(),
                )
    finally:
        await engine.dispose()
    print(
        f"{school[1]}: the SEN file is kept until the pupil is {policy.keep_until_age}; "
        f"a transferred file's copy {policy.transferred_keep_days} days after the transfer"
    )
    return 0


async def _hold(settings: Settings, pupil_id: int, by: str, reason: str, release: bool) -> int:
    from bot.rules.policy import may_hold_records
    from storage import db
    from storage.models import Pupil, utcnow
    from storage.queries import audit, retention, roles

    reason = reason.strip()
    if not reason or len(reason) > 2000:
        print("senbot: give the reason in 1 to 2000 characters", file=sys.stderr)
        return 2
    now = utcnow()
    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine).begin() as session:
            pupil = await session.get(Pupil, pupil_id)
            if pupil is None:
                print(f"senbot: no pupil with id {pupil_id}", file=sys.stderr)
                return 1
            staff = await roles.staff_by_email(session, pupil.school_id, by.strip().lower())
            if staff is None or not may_hold_records(staff.roles):
                print(f"senbot: {by} is not a SENCO or DPO of the pupil's school", file=sys.stderr)
                return 2
            if release:
                open_hold = await retention.open_hold(session, pupil_id)
                if open_hold is None:
                    print(f"senbot: pupil {pupil_id} has no open legal hold", file=sys.stderr)
                    return 1
                await retention.release_hold(session, open_hold, reason=reason, by=staff.staff_id, now=now)
                action, message = "legal_hold_released", "released"
            else:
                hold, placed = await retention.place_hold(
                    session,
                    school_id=pupil.school_id,
                    pupil_id=pupil_id,
                    reason=reason,
                    by=staff.staff_id,
                    now=now,
                )
                if not placed:
                    print(f"senbot: pupil {pupil_id} is already on hold since {hold.placed_at:%Y-%m-%d}")
                    return 0
                action, message = "legal_hold_placed", "placed"
            audit.record(
                session,
                action=action,
                at=now,
                school_id=pupil.school_id,
                actor_id=staff.staff_id,
                entity="pupil",
                entity_id=pupil_id,
                pupil_id=pupil_id,
                correlation_id="cli",
            )
    finally:
        await engine.dispose()
    print(f"senbot: legal hold on pupil {pupil_id} {message}")
    return 0


async def _seed(settings: Settings) -> bool:
    from storage import db
    from storage.demo import seed_demo

    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine).begin() as session:
            return await seed_demo(session)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())


async def _outbox_report(settings: Settings, limit: int) -> str:
    from storage import db
    from storage.queries import outbox

    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine)() as session:
            counts = await outbox.status_counts(session)
            rows = await outbox.latest_unsent(session, limit)
    finally:
        await engine.dispose()
    return format_outbox(counts, rows)


def format_outbox(counts: dict[str, int], rows: list[OperatorRow]) -> str:
    """Counts by status, then the latest unsent rows: ids, kinds and errors only (never payloads)."""
    lines = ["  ".join(f"{status}: {n}" for status, n in counts.items())]
    if not rows:
        lines.append("nothing pending, waiting, failing, dead or expired")
        return "\n".join(lines)
    header = (
        "id",
        "kind",
        "recipient",
        "status",
        "attempts",
        "next attempt (UTC)",
        "expires (UTC)",
        "reason",
    )
    table = [
        (
            str(r.id),
            r.kind,
            str(r.recipient_id),
            r.status,
            str(r.attempts),
            r.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.expires_at.strftime("%Y-%m-%d %H:%M") if r.expires_at else "-",
            r.last_error or "",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in (header, *table)) for i in range(len(header) - 1)]
    for row in (header, *table):
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        )
    return "\n".join(lines)


async def _outbox_retry(settings: Settings, outbox_id: int) -> int:
    from storage import db
    from storage.models import utcnow
    from storage.queries import outbox

    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine).begin() as session:
            done = await outbox.requeue_dead(session, outbox_id, utcnow())
    finally:
        await engine.dispose()
    if not done:
        print(f"senbot: no dead-lettered notification with id {outbox_id}", file=sys.stderr)
        return 1
    print(
        f"senbot: notification {outbox_id} requeued; the dispatcher sends it on its next tick",
        file=sys.stderr,
    )
    return 0
