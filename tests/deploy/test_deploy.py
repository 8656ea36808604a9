"""What docs/deploy.md tells an operator to run, run here: the service starts with production settings,
answers /readyz, refuses an unauthenticated activity, stops cleanly on SIGTERM, refuses to start without
its secret; the systemd unit is valid; the guide names every setting.
"""

from __future__ import annotations

import configparser
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
from collections.abc import Iterator
from pathlib import Path

import pytest

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
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            # One process serves itself; with more, the parent only supervises its workers.
            if _get(base + "/readyz") == 200 and (workers == 1 or len(_children(proc.pid)) == workers):
                return proc, base
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"never ready (exit {proc.poll()}): {proc.communicate()[1][-2000:]}")


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def test_the_service_starts_in_production_mode_and_stops_cleanly(service_db: str, tmp_path: Path) -> None:
    proc, base = _serve(service_db, tmp_path)
    try:
        activity = message("help", "https://smba.trafficmanager.net/uk/")
        assert _post(base + "/api/messages", json.dumps(activity).encode()) == 401
    finally:
        out, err = _stop(proc)
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


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker pids from /proc (Linux)")
def test_two_workers_share_the_port_run_the_jobs_once_and_stop_on_sigterm(tmp_path: Path) -> None:
    proc, base = _serve(f"sqlite+aiosqlite:///{tmp_path / 'senbot.db'}", tmp_path, workers=2)
    workers = _children(proc.pid)
    try:
        # Each request on a new connection: the kernel spreads them over both workers' sockets.
        for _ in range(20):
            assert _get(base + "/healthz") == 200
        activity = message("help", "https://smba.trafficmanager.net/uk/")
        assert _post(base + "/api/messages", json.dumps(activity).encode()) == 401
    finally:
        _out, err = _stop(proc)
    assert proc.returncode == 0, err
    assert "with 2 worker processes" in err
    # Only the first worker is primary: the scheduler started once, not once per worker.
    assert err.count('"scheduler_started"') == 1, err[-2000:]
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker pids from /proc (Linux)")
def test_a_dead_worker_stops_the_service_with_a_failure(tmp_path: Path) -> None:
    proc, _base = _serve(f"sqlite+aiosqlite:///{tmp_path / 'senbot.db'}", tmp_path, workers=2)
    first, second = _children(proc.pid)
    os.kill(second, signal.SIGKILL)
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    # Non-zero, so systemd's Restart=on-failure brings the whole service back.
    assert proc.returncode == 1, err
    assert "exited unexpectedly" in err
    assert not Path(f"/proc/{first}").exists()
