"""Configuration fails fast, naming the variable to fix."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("SENBOT_APP_ID", "SENBOT_APP_PASSWORD", "SENBOT_TENANT_ID", "SENBOT_HOST", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_local_mode_by_default() -> None:
    settings = load_settings()
    assert settings.local_mode and settings.host == "127.0.0.1" and settings.port == 3978
    assert settings.database_url == "sqlite+aiosqlite:///./senbot.db"


def test_production_requires_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENBOT_APP_ID", "app")
    monkeypatch.setenv("SENBOT_TENANT_ID", "t")
    with pytest.raises(ConfigError, match="SENBOT_APP_PASSWORD"):
        load_settings()


def test_production_requires_the_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENBOT_APP_ID", "app")
    monkeypatch.setenv("SENBOT_APP_PASSWORD", "s")
    with pytest.raises(ConfigError, match="SENBOT_TENANT_ID"):
        load_settings()


def test_production_with_everything_is_accepted_and_may_bind_anywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "SENBOT_APP_ID": "app",
        "SENBOT_APP_PASSWORD": "hunter2-secret",
        "SENBOT_TENANT_ID": "T1, t2",
        "SENBOT_HOST": "0.0.0.0",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert not settings.local_mode and settings.tenant_ids == {"t1", "t2"}
    assert "hunter2" not in repr(settings)  # the secret never prints


def test_local_mode_refuses_a_network_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENBOT_HOST", "0.0.0.0")
    with pytest.raises(ConfigError, match="SENBOT_HOST"):
        load_settings()


def test_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENBOT_PORT", "eighty")
    with pytest.raises(ConfigError, match="SENBOT_PORT"):
        load_settings()


def test_unsupported_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/x")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings()
