"""One settings class for the whole service.

Why: a misconfigured bot that starts anyway is worse than one that refuses to start, so every
variable is validated here, once, and the error names the variable to fix.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BOT_FRAMEWORK_OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
LOOPBACK_HOST = "127.0.0.1"
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE)


class ConfigError(Exception):
    """Raised at start-up with a message that names the variable to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SENBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Identity of the bot. No app id means local mode (see docs/design.md, "Local use without Azure").
    app_id: str = ""
    app_password: SecretStr = SecretStr("")
    # Comma-separated Entra tenant ids whose activities are accepted.
    tenant_id: str = ""

    database_url: str = Field(
        default="sqlite+aiosqlite:///./senbot.db",
        validation_alias="DATABASE_URL",
    )
    host: str = LOOPBACK_HOST
    port: int = Field(default=3978, ge=1, le=65535)

    # Where the Bot Framework publishes its signing keys; tests point this at a loopback server.
    openid_metadata_url: str = BOT_FRAMEWORK_OPENID_URL
    token_issuer: str = BOT_FRAMEWORK_ISSUER
    # Key refresh happens off the request path with this timeout (the SDK's blocks the loop).
    openid_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Comma-separated emails of the first administrators.
    admins: str = ""
    # Off in tests and benchmarks that drive jobs by hand.
    scheduler_enabled: bool = True
    # Processes serving the port (bot/server/serving.py: gunicorn when more than one); one per core.
    workers: int = Field(default=1, ge=1, le=16)

    # The Teams app package (`senbot package`, docs/deploy.md). Not needed to serve; checked when packaging.
    # The public host name of the messaging endpoint (https://<host>/api/messages), no scheme or path.
    public_host: str = ""
    website_url: str = ""
    privacy_url: str = ""
    terms_url: str = ""
    # Teams needs a higher version to accept an updated package: x.y.z.
    app_version: str = Field(default="1.0.0", pattern=r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
    # The Teams app's own id (manifest "id"); empty means the bot's app id, as Microsoft's samples do.
    teams_app_id: str = ""
    # Shown in the Teams store as the publisher (at most 32 characters).
    developer_name: str = Field(default="senbot", min_length=1, max_length=32)

    # The notification outbox (bot/jobs/outbox.py, bot/jobs/scheduler.py). Teams allows ~50 requests/s per
    # app per
    # tenant; 25 is the budget (docs/design.md). The lease must outlast a whole batch at that rate.
    outbox_concurrency: int = Field(default=4, ge=1, le=64)
    outbox_rate_per_tenant: float = Field(default=25.0, gt=0, le=50)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_lease_seconds: float = Field(default=120.0, ge=5)
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_send_timeout_seconds: int = Field(default=20, ge=1, le=120)
    dispatcher_interval_seconds: float = Field(default=3.0, gt=0)
    planner_interval_seconds: float = Field(default=300.0, gt=0)

    # Letters to parents (bot/letters/wording.py). Download links are signed with this secret (else the app
    # password; in local mode a secret made at start, so links die with the process).
    letter_link_secret: SecretStr = SecretStr("")
    # The school mailbox letters are emailed from through Microsoft Graph; empty turns email off.
    mail_from: str = ""
    # Microsoft Graph's address; tests point it at a loopback fake.
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_timeout_seconds: float = Field(default=20.0, gt=0, le=120)

    # Directory sync with Microsoft Graph (bot/roster/graph_sync.py). The app registration is the bot's own
    # (SENBOT_APP_ID / SENBOT_APP_PASSWORD, client credentials in each school's tenant); it needs the
    # application permissions EduRoster.Read.All and User.Read.All. Tests point the base URL at a fake.
    graph_sync: bool = False
    graph_sync_time: str = Field(default="02:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    graph_concurrency: int = Field(default=4, ge=1, le=16)
    # Install the Teams app for staff who have not opened it, so notifications reach them
    # (bot/roster/graph_install.py; application permission TeamsAppInstallation.ReadWriteForUser.All).
    # Off, or refused by the tenant: their notifications wait until they open the bot.
    graph_install: bool = False

    @model_validator(mode="after")
    def _check_mode(self) -> Settings:
        if self.app_id:
            if not self.app_password.get_secret_value():
                raise ValueError("SENBOT_APP_PASSWORD is required when SENBOT_APP_ID is set")
            if not self.tenant_ids:
                raise ValueError("SENBOT_TENANT_ID is required when SENBOT_APP_ID is set")
        elif not _is_loopback(self.host):
            raise ValueError(
                "SENBOT_HOST must be a loopback address in local mode (no SENBOT_APP_ID): "
                "an unauthenticated bot must not listen on a network"
            )
        if self.public_host and not _HOSTNAME.fullmatch(self.public_host):
            raise ValueError(
                "SENBOT_PUBLIC_HOST must be a host name like senbot.school.example (no scheme, port or path)"
            )
        for name in ("website_url", "privacy_url", "terms_url"):
            if getattr(self, name) and not getattr(self, name).startswith("https://"):
                raise ValueError(f"SENBOT_{name.upper()} must be an https:// address")

        if self.graph_sync and not self.app_id:
            raise ValueError("SENBOT_GRAPH_SYNC needs SENBOT_APP_ID (Graph is called as the bot's app)")
        if self.graph_install and not self.app_id:
            raise ValueError("SENBOT_GRAPH_INSTALL needs SENBOT_APP_ID (Graph is called as the bot's app)")
        if not self.graph_base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError(
                "SENBOT_GRAPH_BASE_URL must be https:// (plain http on loopback only, for tests)"
            )
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return self

    @property
    def local_mode(self) -> bool:
        return not self.app_id

    @property
    def manifest_app_id(self) -> str:
        return self.teams_app_id or self.app_id

    @cached_property
    def tenant_ids(self) -> frozenset[str]:
        return frozenset(t.strip().lower() for t in self.tenant_id.split(",") if t.strip())

    @cached_property
    def admin_emails(self) -> frozenset[str]:
        return frozenset(a.strip().lower() for a in self.admins.split(",") if a.strip())

    @property
    def graph_sync_at(self) -> tuple[int, int]:
        """(hour, minute) of the nightly sync, in the server's time zone (for the scheduler)."""
        hour, minute = self.graph_sync_time.split(":")
        return int(hour), int(minute)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and .env); raise ConfigError naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            name = _env_name(loc) if loc else ""
            problems.append(
                f"{name}: {err['msg']}" if name else str(err["msg"]).removeprefix("Value error, ")
            )
        raise ConfigError("Invalid configuration: " + "; ".join(problems)) from None


def _env_name(field: str) -> str:
    if field == "database_url":
        return "DATABASE_URL"
    return "SENBOT_" + field.upper()
