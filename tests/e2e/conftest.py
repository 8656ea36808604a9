"""End to end in Microsoft 365 Agents Playground, Microsoft's Teams client emulator, in headless Chromium.

Once per session: a fresh SQLite database with the demo school, the bot (`python app.py`, local mode) on a
free port, and one Node driver (driver.js) that starts a Playground and a page per person on first use.
Tests speak as a person (`people["Alex Wilber"].says("log")`) and check what the next card shows and what
the database holds. Everything a run leaves (bot log, driver log, Playground logs, screenshots of every
page of a failed test, timings.json) is under E2E_ARTIFACTS, default build/e2e.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client import Driver, Person

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "build" / "e2e")).resolve()
# Shared with the test module: where `make screenshots` puts the README's pictures (unset: none taken).
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


def _missing() -> str | None:
    if not shutil.which("node"):
        return "Node.js is not installed"
    if not Path(CHROMIUM).exists():
        return f"Chromium is not at {CHROMIUM} (apt-get install chromium)"
    if not (HERE / "node_modules" / "@microsoft" / "m365agentsplayground").is_dir():
        return "tests/e2e/node_modules is missing (cd tests/e2e && npm ci)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def e2e_ready() -> None:
    why = _missing()
    if why:
        message = f"end-to-end tests in the Agents Playground cannot run: {why}"
        # CI must not pass by skipping the suite that drives the real client.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def database(e2e_ready: None, artifacts: Path) -> Path:
    path = artifacts / "senbot-e2e.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    senbot = [sys.executable, "-m", "bot.admin.cli"]
    for step in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(senbot + step, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def bot_url(database: Path, artifacts: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SENBOT_PORT": str(port),
        "SENBOT_APP_ID": "",  # local mode: the Playground signs nothing
        "SENBOT_LOG_FORMAT": "console",
        # Proactive cards (the SENCO's approval card) go through the outbox: poll it often.
        "SENBOT_DISPATCHER_INTERVAL_SECONDS": "0.3",
    }
    log = (artifacts / "bot.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the bot exited with {proc.returncode}; see {artifacts / 'bot.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the bot did not answer /healthz in 30 s; see {artifacts / 'bot.log'}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        # SIGINT: with Playground connections open, SIGTERM was seen to take more than 30 s.
        proc.send_signal(2)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def driver(bot_url: str, artifacts: Path) -> Iterator[Driver]:
    argv = [
        "node",
        str(HERE / "driver.js"),
        "--bot",
        bot_url,
        "--users",
        str(ROOT / ".m365agentsplayground.yml"),
    ]
    argv += ["--run-dir", str(artifacts / "playground"), "--chromium", CHROMIUM]
    d = Driver(argv, artifacts / "driver.log")
    yield d
    d.close()
    d.timings.write(artifacts / "timings.json")
    _TIMINGS.extend(d.timings.table())


_TIMINGS: list[tuple[str, int, int, int]] = []


class People(dict[str, Person]):
    def __init__(self, driver: Driver) -> None:
        super().__init__()
        self.driver = driver

    def __missing__(self, name: str) -> Person:
        person = self[name] = Person(self.driver, name)
        return person


@pytest.fixture(scope="session")
def _people(driver: Driver) -> People:
    return People(driver)


@pytest.fixture
def people(_people: People, request: pytest.FixtureRequest, artifacts: Path) -> Iterator[People]:
    """Everyone's window; after the test, no page may have thrown, and a failure photographs every page."""
    yield _people
    report = getattr(request.node, "e2e_report", None)
    if report is not None and report.failed:
        folder = artifacts / "failures" / request.node.name
        for name, person in _people.items():
            person.screenshot(folder / f"{name.replace(' ', '_')}.png", full=True)
        print(f"\ne2e: screenshots of every page of the failed test are in {folder}")
    errors = {name: e for name, p in _people.items() if (e := p.page_errors())}
    assert not errors, f"errors thrown in the Playground pages: {errors}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.e2e_report = report  # type: ignore[attr-defined]
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _TIMINGS:
        return
    write = terminalreporter.write_line
    write("")
    write(f"Agents Playground: click (or Send) to the next card, ms (also {ARTIFACTS / 'timings.json'})")
    write(f"{'action':<40} {'n':>3} {'median':>7} {'max':>6}")
    for what, n, median, most in _TIMINGS:
        write(f"{what:<40} {n:>3} {median:>7} {most:>6}")
    write(f"e2e artefacts (logs, failure screenshots): {ARTIFACTS}")


class Database:
    """The bot's SQLite file, opened read-only: tests look, the bot writes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]

    def value(self, sql: str, *params: Any) -> Any:
        [row] = self.rows(sql, *params)
        return next(iter(row.values()))


@pytest.fixture
def db(database: Path) -> Database:
    return Database(database)
