"""Email through Microsoft Graph (`users/{mailbox}/sendMail`, application permission Mail.Send).

Why retries are off: sendMail is a POST that sends on the server; the SDK's retry handler would repeat it
on 429/503/504 and a timeout leaves us unable to tell whether it went (docs/design.md, "Microsoft Graph"). So
this client makes exactly one attempt and says which of three things happened: sent, refused (nothing
sent: the caller may try again later), or unknown (no answer: never retried automatically).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class MailRefused(Exception):
    def __init__(self, status: int | None, retry_after: str | None = None) -> None:
        super().__init__(f"graph refused: {status}")
        self.status = status
        self.retry_after = retry_after


class MailUnknown(Exception):
    """No answer in time: the message may or may not have been sent."""


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


class GraphMailer:
    def __init__(self, credential: Any, *, base_url: str, timeout_seconds: float) -> None:
        # Imported here: the SDK is large and only this path needs it.
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from kiota_http.middleware.options import RetryHandlerOption
        from msgraph.graph_request_adapter import GraphRequestAdapter
        from msgraph.graph_service_client import GraphServiceClient
        from msgraph_core import GraphClientFactory

        host = urlparse(base_url).hostname or ""
        self._no_retry = RetryHandlerOption(delay=0, max_retries=0, should_retry=False)
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds), base_url=base_url),
            options={RetryHandlerOption.get_key(): self._no_retry},
        )
        auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host])
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = base_url
        self._client = GraphServiceClient(request_adapter=adapter)

    async def send(self, mailbox: str, to: Sequence[Recipient], subject: str, html: str) -> None:
        from kiota_abstractions.api_error import APIError
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.email_address import EmailAddress
        from msgraph.generated.models.item_body import ItemBody
        from msgraph.generated.models.message import Message
        from msgraph.generated.models.recipient import Recipient as GraphRecipient
        from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
            SendMailPostRequestBody,
        )

        body = SendMailPostRequestBody(
            message=Message(
                subject=subject,
                body=ItemBody(content_type=BodyType.Html, content=html),
                to_recipients=[
                    GraphRecipient(email_address=EmailAddress(address=r.email, name=r.name)) for r in to
                ],
            ),
            save_to_sent_items=True,
        )
        config = RequestConfiguration[Any](options=[self._no_retry])
        try:
            await self._client.users.by_user_id(mailbox).send_mail.post(body, request_configuration=config)
        except APIError as exc:
            headers = exc.response_headers or {}
            retry = headers.get("Retry-After") or headers.get("retry-after")
            raise MailRefused(exc.response_status_code, str(retry) if retry else None) from None
        except httpx.TimeoutException:
            raise MailUnknown from None
        except httpx.TransportError:
            # The request never reached Graph (connection refused, DNS): nothing was sent.
            raise MailRefused(None) from None


def credential_from_settings(tenant_id: str, client_id: str, secret: str) -> Any:
    """The bot's own app registration (single tenant) with the Mail.Send application permission."""
    from azure.identity.aio import ClientSecretCredential

    return ClientSecretCredential(tenant_id=tenant_id, client_id=client_id, client_secret=secret)
