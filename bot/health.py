"""Health for an operator and a load balancer, in both modes: /healthz, /readyz and /metrics.

/healthz says the process answers (liveness). /readyz says whether it can do its work: the
database answers, and the scheduler has ticked within two tick intervals; it names what failed
(503). /metrics is Prometheus's text format (``bot.metrics``). Over HTTP these sit beside
/slack/events; in Socket Mode, where Slack needs no listener, a small one serves just these.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.metrics import LAST_TICK, REGISTRY
from plan.clock import Clock, in_words, utc_now


@dataclass
class Health:
    """What /readyz asks: ``database_answers`` (a quick query) and when the scheduler last ticked."""

    database_answers: Callable[[], bool]
    tick_minutes: int
    clock: Clock = utc_now
    started: dt.datetime = field(default_factory=utc_now)
    last_tick: dt.datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ticked(self) -> None:
        """A tick finished: ready as far as the scheduler goes, for two tick intervals."""
        now = self.clock()
        with self._lock:
            self.last_tick = now
        LAST_TICK.set(now.timestamp())

    def problems(self) -> list[str]:
        found = []
        try:
            answers = self.database_answers()
        except Exception as error:  # any failure to reach it is "not answering"
            answers, reason = False, type(error).__name__
        else:
            reason = "no answer"
        if not answers:
            found.append(f"database: {reason}")
        with self._lock:
            since = self.last_tick or self.started
        quiet = self.clock() - since
        if quiet > 2 * dt.timedelta(minutes=self.tick_minutes):
            found.append(f"scheduler: no tick for {in_words(quiet)}")
        return found


def health_routes(health: Health | None) -> list[Route]:
    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        problems = await run_in_threadpool(health.problems) if health else ["not configured"]
        body = json.dumps({"ready": not problems, "problems": problems}) + "\n"
        return Response(body, status_code=503 if problems else 200, media_type="application/json")

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
