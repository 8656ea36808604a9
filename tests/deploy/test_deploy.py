"""What docs/deploy.md tells an operator to run, run here: the service starts with production settings,
answers /readyz, refuses an unauthenticated activity, stops cleanly on SIGTERM, refuses to start without
its secret; with SENBOT_WORKERS=2 gunicorn's workers share the port, a killed one is replaced, and the
scheduled work they all run is planned once; the systemd unit is valid; the guide names every setting.
"""

from __future__ import annotations

import asyncio
import configparser
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from bot.settings import Settings, _env_name
from tests.conftest import BACKENDS, PG_URL
from tests.support.activities import message

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
UNIT = ROOT / "docs" / "senbot.service"
SENBOT = Path(sys.executable).parent / "senbot"
APP_ID = "3f1e2d4c-5b6a-4789-9abc-def012345678"
TENANT = "0d9b0e4e-1111-4222-8333-444455556666"
SECRET = "a-client-secret-for-tests"
LOG = "senbot.log"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENBOT_") and k != "DATABASE_URL"}
    env.update(
        SENBOT_APP_ID=APP_ID,
        SENBOT_APP_PASSWORD=SECRET,
        SENBOT_TENANT_ID=TENANT,
        DATABASE_URL=database_url,
        SENBOT_HOST="127.0.0.1",
        SENBOT_PORT=str(port),
        # Keys are fetched only for a request that carries a token; none here reaches the network.
        SENBOT_OPENID_METADATA_URL="http://127.0.0.1:9/openid",
    )
    env.update(extra)
    return env


@pytest.fixture(params=BACKENDS)
def service_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'senbot.db'}"
    else:
        assert PG_URL
        yield PG_URL


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            status: int = resp.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def _post(url: str, body: bytes) -> int:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            status: int = resp.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def _serve(
    database_url: str, tmp_path: Path, *, workers: int = 1, **extra: str
) -> tuple[subprocess.Popen[str], str]:
    """`senbot db upgrade`, then `senbot serve` until /readyz answers and its workers are up."""
    port = _free_port()
    env = _env(database_url, port, SENBOT_WORKERS=str(workers), **extra)
    upgrade = subprocess.run(
        [str(SENBOT), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    proc = subprocess.Popen(
        [str(SENBOT), "serve"],
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        # To a file, so a test can read the log while the service runs (_log).
        stderr=(tmp_path / LOG).open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            # One process serves itself; with more, gunicorn's arbiter only manages its workers.
            if _get(base + "/readyz") == 200 and (workers == 1 or len(_children(proc.pid)) == workers):
                return proc, base
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.communicate()
    raise AssertionError(f"never ready (exit {proc.poll()}): {_log(tmp_path)[-2000:]}")


def _log(tmp_path: Path) -> str:
    return (tmp_path / LOG).read_text()


def _stop(proc: subprocess.Popen[str], tmp_path: Path) -> tuple[str, str]:
    """SIGTERM, then the service's stdout and its log (stderr)."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return out, _log(tmp_path)


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def test_the_service_starts_in_production_mode_and_stops_cleanly(service_db: str, tmp_path: Path) -> None:
    proc, base = _serve(service_db, tmp_path)
    try:
        activity = message("help", "https://smba.trafficmanager.net/uk/")
        assert _post(base + "/api/messages", json.dumps(activity).encode()) == 401
    finally:
        out, err = _stop(proc, tmp_path)
    assert proc.returncode == 0, err
    assert "production mode" in err
    assert SECRET not in out + err


@pytest.mark.parametrize("workers", ["0", "17", "two", ""])
def test_a_bad_worker_count_is_refused_by_name_before_anything_starts(workers: str, tmp_path: Path) -> None:
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'senbot.db'}", _free_port(), SENBOT_WORKERS=workers)
    done = subprocess.run(
        [str(SENBOT), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "SENBOT_WORKERS" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"]])
def test_the_service_refuses_to_start_without_its_secret(command: list[str], tmp_path: Path) -> None:
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'senbot.db'}", _free_port())
    del env["SENBOT_APP_PASSWORD"]
    done = subprocess.run(
        [str(SENBOT), *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SENBOT_APP_PASSWORD" in done.stderr
    assert not (tmp_path / "senbot.db").exists()


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    return parser


def test_the_unit_runs_senbot_serve_with_its_settings_file() -> None:
    unit = _unit()
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    exec_start = shlex.split(unit["Service"]["ExecStart"])
    assert Path(exec_start[0]).name == "senbot" and exec_start[1:] == ["serve"]
    assert Path(exec_start[0]).is_absolute()
    assert unit["Service"]["EnvironmentFile"] == "/etc/senbot/senbot.env"
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    assert unit["Service"]["RestartPreventExitStatus"] == "2"  # a config error is not retried
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "PASSWORD" not in UNIT.read_text()  # the secret lives in the environment file only


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    # systemd checks that ExecStart exists: point it at this checkout's senbot, change nothing else.
    exec_start = _unit()["Service"]["ExecStart"]
    text = UNIT.read_text().replace(exec_start, f"{SENBOT} serve")
    (tmp_path / "senbot.service").write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "senbot.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "senbot.service" not in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_unit_check_can_fail(tmp_path: Path) -> None:
    text = UNIT.read_text().replace("ExecStart=", "ExecStrt=")
    (tmp_path / "senbot.service").write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "senbot.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "Unknown key" in done.stderr


def test_the_guide_names_every_setting() -> None:
    guide = GUIDE.read_text()
    missing = [_env_name(f) for f in Settings.model_fields if _env_name(f) not in guide]
    assert missing == []


def test_the_guide_uses_only_the_two_entry_points_to_run_the_service() -> None:
    guide = GUIDE.read_text()
    assert "senbot serve" in guide and "senbot db upgrade" in guide
    assert "python app.py" not in guide and "alembic upgrade" not in guide


def _listening_inode(port: int) -> str:
    """The inode of the socket listening on 127.0.0.1:port (/proc/net/tcp: state 0A is LISTEN)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":
            return fields[9]
    raise AssertionError(f"nothing listens on port {port}")


def _sockets(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


linux_only = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")


@linux_only
def test_two_workers_serve_the_port_a_killed_one_is_replaced_and_sighup_replaces_both(
    service_db: str, tmp_path: Path
) -> None:
    proc, base = _serve(service_db, tmp_path, workers=2)
    try:
        first, second = _children(proc.pid)
        listening = _listening_inode(int(base.rsplit(":", 1)[1]))
        assert all(listening in _sockets(pid) for pid in (first, second))  # both accept on the port
        os.kill(second, signal.SIGKILL)
        # gunicorn starts another worker; the survivor keeps answering meanwhile and after.
        _wait_for(lambda: len(set(_children(proc.pid)) - {second}) == 2, "a replacement worker")
        assert first in _children(proc.pid)
        for _ in range(20):
            assert _get(base + "/healthz") == 200
        activity = message("help", "https://smba.trafficmanager.net/uk/")
        assert _post(base + "/api/messages", json.dumps(activity).encode()) == 401
        # SIGHUP (systemctl reload): two fresh workers, the old ones retired, the port still served.
        before = set(_children(proc.pid))
        proc.send_signal(signal.SIGHUP)
        _wait_for(lambda: len(set(_children(proc.pid)) - before) == 2 == len(_children(proc.pid)), "a reload")
        assert _get(base + "/healthz") == 200
        workers = _children(proc.pid)
    finally:
        _out, err = _stop(proc, tmp_path)
    assert proc.returncode == 0, err  # SIGTERM: every worker retired, the arbiter exits 0
    assert "with 2 worker processes" in err
    assert "Traceback" not in err, err[-3000:]
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


@linux_only
def test_with_two_workers_each_runs_the_planners_and_each_digest_is_planned_once(
    service_db: str, tmp_path: Path
) -> None:
    """Both workers start their scheduler, which plans at once, at the same moment; the database keeps one
    row per digest. (A planner that finds every row already there returns without a log line, so one
    or two `weekly_digests_planned` lines appear, and their counts add up to the rows.)"""
    env = _env(service_db, _free_port())
    seeded = subprocess.run(
        [str(SENBOT), "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert seeded.returncode == 0, seeded.stderr
    asyncio.run(_demo_digest_due_now(service_db))
    proc, _base = _serve(service_db, tmp_path, workers=2, SENBOT_ADMINS="megan.bowen@oakfield.example")
    lines: list[dict[str, object]] = []
    try:
        _wait_for(
            lambda: (
                _log(tmp_path).count('"scheduler_started"') == 2
                and '"weekly_digests_planned"' in _log(tmp_path)
            ),
            "both schedulers and a planner",
        )
        time.sleep(1)  # the other worker's first tick, which runs as its scheduler starts
    finally:
        _out, err = _stop(proc, tmp_path)
    assert proc.returncode == 0, err
    for line in err.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    assert sum(1 for e in lines if e["event"] == "scheduler_started") == 2, err[-3000:]
    planned = [e for e in lines if e["event"] == "weekly_digests_planned"]
    assert 1 <= len(planned) <= 2
    assert not [e for e in lines if e["event"] == "job_failed"], err[-3000:]
    rows, recipients = asyncio.run(_digest_rows(service_db)), asyncio.run(_digest_recipients(service_db))
    # Between them the workers created exactly one row per recipient: none twice, none failed.
    assert sum(int(str(e["created"])) for e in planned) == rows == recipients > 0
    # SENBOT_ADMINS ran in both workers as they started: one grant, audited once.
    assert asyncio.run(_admin_grants_audited(service_db)) == 1


async def _demo_digest_due_now(url: str) -> None:
    """The demo school, with its digest due from Monday 00:00 (so due whenever the test runs), and no
    digest planned yet (an earlier service on this database may have planned this week's)."""
    from storage import db
    from storage.demo import seed_demo
    from storage.models import Outbox, School

    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine).begin() as session:
            await seed_demo(session)
            await session.execute(update(School).values(digest_weekday=1, digest_time=dt.time(0, 0)))
            await session.execute(delete(Outbox).where(Outbox.kind == "weekly_digest"))
    finally:
        await engine.dispose()


async def _scalar(url: str, query: Any) -> int:
    from storage import db

    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            return int(await session.scalar(query) or 0)
    finally:
        await engine.dispose()


async def _digest_rows(url: str) -> int:
    from storage.models import Outbox

    return await _scalar(url, select(func.count()).select_from(Outbox).where(Outbox.kind == "weekly_digest"))


async def _digest_recipients(url: str) -> int:
    from storage.models import Outbox

    return await _scalar(
        url, select(func.count(func.distinct(Outbox.recipient_id))).where(Outbox.kind == "weekly_digest")
    )


async def _admin_grants_audited(url: str) -> int:
    from storage.models import AuditEvent

    return await _scalar(
        url,
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "role_granted", AuditEvent.correlation_id == "SENBOT_ADMINS"),
    )
