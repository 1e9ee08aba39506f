"""What an operator runs csip with: /healthz, /readyz and /metrics, and log lines a collector can
read that never carry a secret or a note."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from starlette.applications import Starlette

from bot.app import build_app
from bot.health import Health, health_routes
from bot.log_context import REQUEST_ID
from bot.metrics import REGISTRY
from bot.slack_client import make_client
from csip.logs import configure
from csip.settings import Settings
from csip.wiring import serving_health
from plan.clock import LONDON
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, SERVER, SIGNING_SECRET, root_logging_kept, serving
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn
from tests.test_schedules import client, schedule_settings, tick, week_plan

START = dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


def test_ready_while_the_database_answers_and_the_scheduler_ticks() -> None:
    clock, answers = Clock(), [True]
    health = Health(lambda: answers[0], tick_minutes=5, clock=clock, started=START)
    assert health.problems() == []
    clock.now = START + dt.timedelta(minutes=11)
    assert health.problems() == ["scheduler: no tick for 11 minutes"]
    health.ticked()
    assert health.problems() == []
    answers[0] = False
    assert health.problems() == ["database: no answer"]


def test_a_database_that_fails_is_named_with_its_error() -> None:
    def refused() -> bool:
        raise ConnectionRefusedError("no")

    health = Health(refused, tick_minutes=5, clock=Clock(), started=START)
    assert health.problems() == ["database: ConnectionRefusedError"]


@pytest.fixture
def served() -> Iterator[tuple[str, Health, Clock]]:
    clock = Clock()
    health = Health(lambda: True, tick_minutes=5, clock=clock, started=START)
    port = SERVER.serve(Starlette(routes=health_routes(health)))
    try:
        yield f"http://127.0.0.1:{port}", health, clock
    finally:
        SERVER.serve(None)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_readyz_and_metrics_over_http(served: tuple[str, Health, Clock]) -> None:
    base, _, clock = served
    assert get(f"{base}/healthz") == (200, "ok")
    assert get(f"{base}/readyz") == (200, '{"ready": true, "problems": []}\n')
    clock.now = START + dt.timedelta(hours=1)
    status, body = get(f"{base}/readyz")
    assert status == 503
    assert json.loads(body) == {"ready": False, "problems": ["scheduler: no tick for 1 hour"]}
    status, metrics = get(f"{base}/metrics")
    assert status == 200
    assert "csip_ack_seconds_bucket" in metrics


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_commands_acks_sends_ticks_and_deliveries(
    week_plan: StoreFactory,
    client: WebClient,
    schedule_settings: Settings,
    slack: SlackStandIn,
    engine: Engine,
) -> None:
    shown = sample("csip_requests_total", kind="command_show", outcome="ok")
    acks = sample("csip_ack_seconds_count")
    with serving(schedule_settings, week_plan, slack) as http:
        http.reply_to(ALICE, "show 5.3")
    assert sample("csip_requests_total", kind="command_show", outcome="ok") == shown + 1
    assert sample("csip_ack_seconds_count") == acks + 1
    sent = sample("csip_sends_total", kind="owner_reminder", outcome="delivered")
    tick(week_plan, client, schedule_settings, dt.datetime(2025, 12, 1, 9, 5, tzinfo=LONDON))
    assert sample("csip_sends_total", kind="owner_reminder", outcome="delivered") >= sent + 2
    health = serving_health(schedule_settings, engine)
    health.ticked()
    assert sample("csip_last_tick_timestamp_seconds") > 0
    assert sample("csip_deliveries", status="pending") == 0
    assert sample("csip_deliveries", status="failed") == 0


def test_log_lines_are_json_with_the_request_and_no_secret_or_note(
    http: SlackHttp, settings: Settings, small_plan: StoreFactory
) -> None:
    stream = io.StringIO()
    with root_logging_kept():
        configure(stream, as_json=True)
        reply = http.reply_to(ALICE, "update 5.4 red The foster panel is secret")  # no 5.4: a refusal
        assert "There is no action 5.4" in json.dumps(reply)
        http.reply_to(ALICE, "update 5.3 amber Confidential: the provider's contract", response="r2")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    answered = [line for line in lines if line["logger"] == "bot.replies"]
    assert [line["message"].split(",")[0] for line in answered] == [
        "command_update: refused",
        "command_update: ok",
    ]
    assert all(len(line["request_id"]) == 12 for line in answered)
    text = stream.getvalue()
    for secret in (settings.slack_bot_token or "xoxb", SIGNING_SECRET, "foster panel", "Confidential"):
        assert secret not in text
    assert REQUEST_ID.get() is None  # set only while a request's work runs


def test_a_clean_start_warns_of_nothing(
    settings: Settings, open_store: StoreFactory, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Building the app (Bolt checks the token with auth.test) and its health says nothing at
    WARNING or above: an operator's first look at the logs finds no alarm."""
    caplog.set_level(logging.DEBUG)
    build_app(settings.bot(), open_store, client=make_client(settings.slack()))
    serving_health(settings, engine)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
