"""The `senbot` command: serve, db upgrade, seed-demo, import, sync, audit.

Why a CLI and not scripts: `senbot serve` and `senbot db upgrade` are the only entry points an
operator needs (docs/deploy.md), the same in a venv, a container or a systemd unit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import ConfigError, Settings, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="senbot", description="SEN support bot for Microsoft Teams")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the bot (as python app.py)")
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="bring the database to the latest migration")
    db_sub.add_parser("current", help="show the database's migration")
    seed = sub.add_parser("seed-demo", help="create the demo school (once; does nothing if it exists)")
    seed.add_argument("--quiet", action="store_true")
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
    aud = sub.add_parser("audit", help="export everything held on a pupil (subject access request)")
    aud.add_argument("--pupil", type=int, required=True, help="the pupil's id")
    aud.add_argument("--out", required=True, help="the JSON file to write")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"senbot: {exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        import app

        app.main()
        return 0
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
    if args.command == "import":
        return asyncio.run(_import(settings, args.files, args.school_urn, args.dry_run, args.partial))
    if args.command == "sync":
        return asyncio.run(_sync(settings, args.school_urn))
    if args.command == "audit":
        return asyncio.run(_audit(settings, args.pupil, args.out))
    return 1  # unreachable: argparse requires a command


async def _import(settings: Settings, files: list[str], urn: str | None, dry_run: bool, partial: bool) -> int:
    import datetime as dt
    from pathlib import Path

    from bot import directory
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
    from bot import graph
    from storage import db

    engine = db.create_engine(settings.database_url)
    try:
        reports = await graph.sync_all(db.session_factory(engine), settings, school_urn=urn)
    finally:
        await engine.dispose()
    for r in reports:
        print(r.summary())
    return 0 if reports and all(r.ok for r in reports) else 1


async def _audit(settings: Settings, pupil_id: int, out: str) -> int:
    from pathlib import Path

    from bot import subject_access
    from storage import db
    from storage.models import utcnow

    engine = db.create_engine(settings.database_url)
    try:
        found = await subject_access.export(db.session_factory(engine), pupil_id, Path(out), now=utcnow())
    finally:
        await engine.dispose()
    if not found:
        print(f"senbot: no pupil with id {pupil_id}", file=sys.stderr)
        return 1
    print(f"senbot: wrote everything held on pupil {pupil_id} to {out}", file=sys.stderr)
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
