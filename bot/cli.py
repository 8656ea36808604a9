"""The `senbot` command: serve, db upgrade, seed-demo.

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
    return 1  # unreachable: argparse requires a command


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
