"""Serving the app: HTTP under uvicorn, or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time

import uvicorn
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.health import Health, health_routes
from bot.installs import MAX_OPEN_INSTALLS, TooManyInstalls
from bot.work import FIRST_TIME
from plan.clock import Clock, utc_now
from plan.ports import SeenRequests

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"

MAX_BODY = 512 * 1024
"""The largest body accepted, in bytes. Slack's requests are far smaller: a slash command is a
form of a dozen short fields (its text at most 4,000 characters), and the largest interactive
payload, a modal's submission, carries a view of at most 100 blocks of at most 3,000 characters
each, well under 512 KiB even with every character escaped."""

REPLAY_WINDOW = dt.timedelta(minutes=5)
"""How far a request's timestamp may be from now (slack_sdk's ``SignatureVerifier`` allows five
minutes either way), and so how long an accepted signature is remembered."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class Refused(Exception):
    """A request answered with ``status`` and nothing else; ``reason`` is logged, in one line."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def asgi_app(
    bolt: App, signing_secret: str, seen: SeenRequests, clock: Clock = utc_now, health: Health | None = None
) -> Starlette:
    """Bolt's requests at /slack/events, plus /healthz, /readyz and /metrics (``bot.health``).

    Before Bolt sees a request, its body is read up to :data:`MAX_BODY` (413 past it) and its
    signature checked (401): nothing parses a body that Slack did not sign. A signed body that
    does not parse gets 400. A request whose signature was accepted before (a replay, within the
    five minutes its timestamp is valid) is acknowledged and its work not done: the check, one
    insert into ``seen``, goes in the request's context and runs with the work after the ack
    (``bot.work``), so no ack waits on the database. Slack retries only Events API deliveries
    whose ack it did not get (marked ``X-Slack-Retry-Num``); csip acks every request at once, and
    the one event it listens to (``app_home_opened``) only draws the Home tab, so a retry is
    answered 200 and not dispatched: it can never apply a change twice.

    Bolt's own Starlette handler calls the synchronous ``App.dispatch`` on the event loop,
    so one slow request would hold up every other; here it runs in Starlette's thread pool.
    """
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_body(request)
            signature = check_signature(verifier, request, body)
            retry = request.headers.get("x-slack-retry-num")
            if retry is not None:
                log.info("Slack retried a request (retry %.8s): acknowledged, not handled again", retry)
                return Response(status_code=200)
            bolt_request = parse(request, body)
            bolt_request.context[FIRST_TIME] = lambda: seen.first_time(signature, clock(), REPLAY_WINDOW)
        except Refused as refused:
            client = request.client.host if request.client else "unknown"
            log.warning("refused a request to %s from %s: %s", EVENTS_PATH, client, refused.reason)
            return PlainTextResponse(f"{refused.reason}\n", status_code=refused.status)
        response = await run_in_threadpool(bolt.dispatch, bolt_request)
        return to_starlette_response(response)

    events = Route(EVENTS_PATH, slack_events, methods=["POST"])
    return Starlette(routes=[events, *install_routes(bolt), *health_routes(health)])


def install_routes(bolt: App) -> list[Route]:
    """With several workspaces (``bot.installs``): the install page and Slack's redirect back
    to it, which Bolt's OAuth flow answers. Both are plain GETs from a browser: unsigned, and
    the flow checks its own state (kept in the database, and in a cookie of the browser that
    began the install)."""
    flow = bolt.oauth_flow
    if flow is None:
        return []

    async def install(request: Request) -> Response:
        try:
            response = await run_in_threadpool(flow.handle_installation, to_bolt_request(request, b""))
        except TooManyInstalls:
            log.warning("refused to begin an install: %d are waiting to finish", MAX_OPEN_INSTALLS)
            return PlainTextResponse("Too many installs are under way: try again in ten minutes.\n", 503)
        return to_starlette_response(response)

    async def redirected(request: Request) -> Response:
        response = await run_in_threadpool(flow.handle_callback, to_bolt_request(request, b""))
        return to_starlette_response(response)

    return [
        Route(flow.install_path, install, methods=["GET"]),
        Route(flow.redirect_uri_path, redirected, methods=["GET"]),
    ]


async def read_body(request: Request) -> bytes:
    """The body, refused as soon as it is known to be over :data:`MAX_BODY`: by its declared
    length before any of it is read, else (a chunked body) once that much has arrived."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise Refused(400, "its Content-Length is not a number")
        if int(length) > MAX_BODY:
            raise Refused(413, f"its body is over {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, f"its body is over {MAX_BODY} bytes")
    return bytes(body)


def check_signature(verifier: SignatureVerifier, request: Request, body: bytes) -> str:
    """The request's signature, if it is Slack's for this body and a timestamp within
    :data:`REPLAY_WINDOW` of now."""
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise Refused(401, "it is not signed")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "its timestamp is not a whole number of seconds")
    if abs(time.time() - int(timestamp)) > REPLAY_WINDOW.total_seconds():
        raise Refused(401, "its timestamp is more than five minutes from now")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Slack signs UTF-8 text; no body it signed fails to decode.
        raise Refused(401, "its body is not UTF-8, so not signed by Slack") from None
    if not verifier.is_valid(text, timestamp, signature):
        raise Refused(401, "its signature does not match")
    return signature


def parse(request: Request, body: bytes) -> BoltRequest:
    """Bolt's request, from a body already known to be UTF-8 and signed."""
    try:
        parsed = BoltRequest(
            body=body.decode("utf-8"),
            query=request.query_params,  # type: ignore[arg-type]
            headers=request.headers,  # type: ignore[arg-type]
        )
    except Exception:  # not JSON, or JSON that is not an object Bolt can read
        raise Refused(400, "its body is not a Slack payload") from None
    if not isinstance(parsed.body, dict):
        raise Refused(400, "its body is not a Slack payload")
    return parsed


def serve(
    app: App,
    app_token: str | None,
    *,
    host: str,
    port: int,
    signing_secret: str,
    seen: SeenRequests,
    health: Health | None = None,
) -> None:
    """Socket Mode when SLACK_APP_TOKEN is set, with /healthz, /readyz and /metrics (and the
    install pages, with several workspaces) served on ``port`` beside it; otherwise HTTP under
    uvicorn, all on ``port``. Blocks until stopped."""
    if app_token:
        log.info("starting in Socket Mode; health and metrics on http://%s:%d", host, port)
        beside = Starlette(routes=[*install_routes(app), *health_routes(health)])
        checks = uvicorn.Server(
            uvicorn.Config(beside, host=host, port=port, log_level="warning", access_log=False)
        )
        threading.Thread(target=checks.run, name="csip-health", daemon=True).start()
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return
    log.info("listening on http://%s:%d%s", host, port, EVENTS_PATH)
    uvicorn.run(
        asgi_app(app, signing_secret, seen, health=health),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )
