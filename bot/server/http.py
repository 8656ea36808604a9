"""The web edge: /api/messages, /healthz, /readyz, /letters/{token}, and one log line per request.

Why these checks live here, before the seam: a body that is too big (413), not JSON, nested too deeply
or not an object (400) is refused before any SDK code or handler runs, and no such request can end in a
500. In production mode the bearer token is checked (401) before the body is parsed: the Bot Framework
token does not depend on the body, except its serviceUrl claim, which the seam compares once the body
is read. So a caller without a valid token never reaches the JSON parser.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from bot.letters.service import LetterDownloads
from bot.teams.auth import AuthError, TokenValidator
from bot.teams.seam import TeamsSeam, new_correlation_id

log = structlog.get_logger("senbot.http")
Ready = Callable[[], Awaitable[bool]]
SEAM_KEY = web.AppKey("seam", TeamsSeam)
READY_KEY: web.AppKey[Ready] = web.AppKey("ready")
MAX_BODY_KEY = web.AppKey("max_body", int)
CORRELATION_KEY = web.RequestKey("correlation_id", str)
LETTERS_KEY = web.AppKey("letters", LetterDownloads)
TOKENS_KEY = web.AppKey("tokens", TokenValidator)

# An activity nests a few levels (value, channelData, a card's data); 64 is far beyond any real one and
# far below where Python's JSON parser (and everything that walks the result) runs out of stack.
MAX_NESTING = 64
_JSON_SPECIAL = re.compile(rb'[\\"\[\]{}]')


def nested_too_deeply(raw: bytes, limit: int = MAX_NESTING) -> bool:
    """True when brackets outside strings nest deeper than `limit`; a linear scan of the special bytes."""
    depth = 0
    in_string = False
    skip = -1
    for match in _JSON_SPECIAL.finditer(raw):
        at = match.start()
        if at == skip:
            continue
        char = raw[at]
        if in_string:
            if char == 0x5C:  # a backslash escapes whatever byte follows it
                skip = at + 1
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif char in b"]}":
            depth -= 1
    return False


@web.middleware
async def access_log(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    correlation_id = new_correlation_id()
    request[CORRELATION_KEY] = correlation_id
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except Exception:
        log.exception("request_failed", path=request.path)
        return web.json_response({"error": "internal", "correlation_id": correlation_id}, status=500)
    finally:
        # Method, path, status and timing only: never bodies, tokens or names.
        # The route's pattern, not the path: a letter link's token must not reach the logs.
        route = request.match_info.route.resource
        log.info(
            "request",
            method=request.method,
            path=route.canonical if route is not None else request.path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.unbind_contextvars("correlation_id")


async def messages(request: web.Request) -> web.StreamResponse:
    limit = request.app[MAX_BODY_KEY]
    if request.content_length is not None and request.content_length > limit:
        return web.json_response({"error": "body too large"}, status=413)
    try:
        # aiohttp enforces client_max_size while reading a chunked body of unknown length.
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": "body too large"}, status=413)
    except (ConnectionError, ValueError):
        return web.json_response({"error": "unreadable body"}, status=400)
    tokens = request.app.get(TOKENS_KEY)
    if tokens is not None:
        try:
            await tokens.verify(request.headers.get("Authorization"))
        except AuthError as exc:
            log.info("auth_refused", reason=str(exc))
            return web.json_response({"error": "unauthorized"}, status=401)
    if nested_too_deeply(raw):
        return web.json_response({"error": "JSON nested too deeply"}, status=400)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return web.json_response({"error": "malformed JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "an activity must be a JSON object"}, status=400)
    seam = request.app[SEAM_KEY]
    result = await seam.process(body, request.headers.get("Authorization"), request[CORRELATION_KEY])
    if result.body is None:
        return web.Response(status=result.status)
    return web.json_response(result.body, status=result.status)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    if await request.app[READY_KEY]():
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "database unreachable"}, status=503)


async def letter(request: web.Request) -> web.Response:
    """A letter's PDF for a signed, short-lived link (bot/letters/service.py); 403 tampered, 410 expired."""
    found = await request.app[LETTERS_KEY].download(request.match_info["token"])
    if found.pdf is None:
        return web.Response(status=found.status, headers={"Cache-Control": "no-store"})
    return web.Response(
        body=found.pdf,
        content_type=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "no-store",
        },
    )


def build_web_app(
    seam: TeamsSeam, ready: Ready, *, max_body_bytes: int, letters: LetterDownloads | None = None
) -> web.Application:
    app = web.Application(middlewares=[access_log], client_max_size=max_body_bytes)
    app[SEAM_KEY] = seam
    app[READY_KEY] = ready
    app[MAX_BODY_KEY] = max_body_bytes
    # The seam's validator (None in local mode): the same instance, so the token the door verified is a
    # cache hit when the seam checks it against the body's serviceUrl.
    tokens = getattr(seam, "_validator", None)
    if tokens is not None:
        app[TOKENS_KEY] = tokens
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if letters is not None:
        app[LETTERS_KEY] = letters
        app.router.add_get("/letters/{token}", letter)
    return app
