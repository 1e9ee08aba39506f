"""Serving the app: HTTP under uvicorn, or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import logging

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


def asgi_app(bolt: App) -> Starlette:
    """Bolt's requests at /slack/events, plus /healthz for load balancers.

    Bolt's own Starlette handler calls the synchronous ``App.dispatch`` on the event loop,
    so one slow request would hold up every other; here it runs in Starlette's thread pool.
    """

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route(EVENTS_PATH, slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def serve(app: App, app_token: str | None, *, host: str, port: int) -> None:
    """Socket Mode when SLACK_APP_TOKEN is set; otherwise HTTP under uvicorn. Blocks until stopped."""
    if app_token:
        log.info("starting in Socket Mode")
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return
    log.info("listening on http://%s:%d%s", host, port, EVENTS_PATH)
    uvicorn.run(asgi_app(app), host=host, port=port, log_level="info", access_log=False)
