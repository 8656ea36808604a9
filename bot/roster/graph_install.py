"""Installing the Teams app for a person through Microsoft Graph, so the bot can reach someone who has
never opened it (application permission TeamsAppInstallation.ReadWriteForUser.All, docs/deploy.md).

Why this shape:
- the client is built exactly as the roster sync builds it (graph_sync.make_client, one per tenant,
  credentials from the same factory), so throttling (429/503 with Retry-After) is retried by the SDK's
  retry handler as for every other Graph call; what still fails comes back as RETRY for the outbox's own
  backoff. A repeated install is harmless: Graph answers 409 and the app is there;
- installing only asks Teams to open the conversation: Teams then sends the bot an installationUpdate,
  whose turn stores the conversation and wakes what waited for it (storage.queries.conversations.remember);
- 403 (permission not consented, or the app blocked by the tenant's policy) and 404 (no such user, or
  the app not in the tenant's catalogue) are REFUSED: the notification waits for the person to open the
  bot, and the setup check lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import structlog

from bot.settings import Settings

log = structlog.get_logger(__name__)


class InstallOutcome(StrEnum):
    INSTALLED = "installed"
    REFUSED = "refused"
    RETRY = "retry"


@dataclass(frozen=True)
class InstallResult:
    outcome: InstallOutcome
    status: int | None = None
    retry_after: str | None = None
    reason: str = ""


RETRYABLE = frozenset({408, 412, 429})


class GraphInstaller:
    """Installs the app (found in each tenant's catalogue by its manifest id) in a person's personal scope."""

    def __init__(self, settings: Settings, credential_for: Callable[[str], Any]) -> None:
        self._settings = settings
        self._credential_for = credential_for
        self._clients: dict[str, Any] = {}
        self._catalog_ids: dict[str, str] = {}

    def _client(self, tenant_id: str) -> Any:
        if tenant_id not in self._clients:
            # Imported here: the SDK is large and only the Graph paths need it.
            from bot.roster.graph_sync import make_client

            self._clients[tenant_id] = make_client(self._settings, self._credential_for(tenant_id))
        return self._clients[tenant_id]

    async def _catalog_id(self, client: Any, tenant_id: str) -> str | None:
        if tenant_id in self._catalog_ids:
            return self._catalog_ids[tenant_id]
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.app_catalogs.teams_apps.teams_apps_request_builder import (
            TeamsAppsRequestBuilder,
        )

        query = TeamsAppsRequestBuilder.TeamsAppsRequestBuilderGetQueryParameters(
            filter=f"externalId eq '{self._settings.manifest_app_id}'"
        )
        page = await client.app_catalogs.teams_apps.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        apps = list(page.value or []) if page else []
        if not apps or not apps[0].id:
            return None
        self._catalog_ids[tenant_id] = str(apps[0].id)
        return self._catalog_ids[tenant_id]

    async def install(self, tenant_id: str, aad_object_id: str) -> InstallResult:
        from kiota_abstractions.api_error import APIError
        from msgraph.generated.models.user_scope_teams_app_installation import UserScopeTeamsAppInstallation

        client = self._client(tenant_id)
        try:
            catalog_id = await self._catalog_id(client, tenant_id)
            if catalog_id is None:
                return InstallResult(
                    InstallOutcome.REFUSED, 404, reason="the app is not in the tenant's catalogue"
                )
            base = self._settings.graph_base_url.rstrip("/")
            body = UserScopeTeamsAppInstallation(
                additional_data={"teamsApp@odata.bind": f"{base}/appCatalogs/teamsApps/{catalog_id}"}
            )
            await client.users.by_user_id(aad_object_id).teamwork.installed_apps.post(body)
        except APIError as exc:
            status = exc.response_status_code
            if status == 409:
                return InstallResult(InstallOutcome.INSTALLED, 409, reason="already installed")
            headers = exc.response_headers or {}
            retry = headers.get("Retry-After") or headers.get("retry-after")
            if status is None or status in RETRYABLE or status >= 500:
                return InstallResult(
                    InstallOutcome.RETRY, status, str(retry) if retry else None, "graph error"
                )
            return InstallResult(InstallOutcome.REFUSED, status, reason="installation not permitted")
        except httpx.TransportError as exc:
            return InstallResult(InstallOutcome.RETRY, None, reason=type(exc).__name__)
        log.info("teams_app_installed", tenant_id=tenant_id)
        return InstallResult(InstallOutcome.INSTALLED, 201)
