"""The `senbot` command: serve, db upgrade, seed-demo.

Why a CLI and not scripts: `senbot serve` and `senbot db upgrade` are the only entry points an
operator needs (docs/deploy.md), the same in a venv, a container or a systemd unit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

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
    return 1  # unreachable: argparse requires a command


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
    from bot import export
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
