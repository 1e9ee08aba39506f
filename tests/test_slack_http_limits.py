"""What reaches the app over HTTP before Bolt does: a size limit, the signature, one use each."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from sqlalchemy import Engine

from bot.server import MAX_BODY, REPLAY_WINDOW
from bot.work import FIRST_TIME, Background
from csip.settings import Settings
from plan.ports import SeenRequests
from plan.service import existing_plan
from storage.requests import SqlSeenRequests
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, serving
from tests.memory_store import MemorySeenRequests
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn

MARK = "BODY-MARK-7f3a"  # in every body sent here; no log line may carry it


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record, at any level, from the app built after this (list it before ``http``)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def rag_events(open_store: StoreFactory) -> int:
    with open_store() as store:
        events = store.history(existing_plan(store, "default")).events
    return sum(event.rag is not None for action in events.values() for event in action)


def assert_quiet(logs: pytest.LogCaptureFixture) -> None:
    """No traceback and no body in the logs; every refusal is one line."""
    assert MARK not in logs.text
    assert not [record for record in logs.records if record.exc_info]
    assert "Traceback" not in logs.text
    refusals = [record.getMessage() for record in logs.records if record.name == "bot.server"]
    assert refusals and all("\n" not in line and len(line) < 200 for line in refusals)


UNSIGNED = {
    "brace": b"{" + MARK.encode(),
    "bad-utf8": b"\xff\xfe" + MARK.encode() + b"\xc3(",
    "bad-payload": b"payload=%7B" + MARK.encode(),
}


@pytest.mark.parametrize("body", UNSIGNED.values(), ids=UNSIGNED.keys())
def test_unsigned_malformed_bodies_get_401_before_anything_parses_them(
    logs: pytest.LogCaptureFixture, http: SlackHttp, small_plan: StoreFactory, body: bytes
) -> None:
    before = rag_events(small_plan)
    assert http.send(body, {})[0] == 401
    assert (
        http.send(body, {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=0"})[0]
        == 401
    )
    assert rag_events(small_plan) == before
    assert [call.method for call in http.slack.calls] == ["auth.test"]
    assert_quiet(logs)


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "-5", "", "99999999999999999999"])
def test_a_timestamp_that_is_not_a_recent_whole_number_gets_401(
    logs: pytest.LogCaptureFixture, http: SlackHttp, small_plan: StoreFactory, timestamp: str
) -> None:
    body = http.command_body(ALICE, f"update 5.3 green {MARK}")
    signature = http.signed_headers(body, str(int(time.time())))["X-Slack-Signature"]
    status, _ = http.send(body, {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
    assert status == 401
    assert [call.method for call in http.slack.calls] == ["auth.test"]
    assert_quiet(logs)


def test_an_old_signed_request_gets_401_and_its_body_is_not_logged(
    logs: pytest.LogCaptureFixture, http: SlackHttp, small_plan: StoreFactory
) -> None:
    before = rag_events(small_plan)
    body = http.command_body(ALICE, f"update 5.3 green {MARK}")
    old = str(int(time.time()) - 6 * 60)
    assert http.send(body, http.signed_headers(body, old))[0] == 401
    assert rag_events(small_plan) == before
    assert [call.method for call in http.slack.calls] == ["auth.test"]
    assert_quiet(logs)


SIGNED_MALFORMED = {
    "brace": b"{" + MARK.encode(),
    "bad-payload": b"payload=%7B" + MARK.encode(),
    "empty-payload": b"payload=&x=" + MARK.encode(),
    "not-an-object": b'payload=%5B"' + MARK.encode() + b'"%5D',
}


@pytest.mark.parametrize("body", SIGNED_MALFORMED.values(), ids=SIGNED_MALFORMED.keys())
def test_a_signed_body_that_does_not_parse_gets_400(
    logs: pytest.LogCaptureFixture, http: SlackHttp, small_plan: StoreFactory, body: bytes
) -> None:
    assert http.send(body, http.signed_headers(body))[0] == 400
    assert [call.method for call in http.slack.calls] == ["auth.test"]
    assert_quiet(logs)


def test_a_body_declared_over_the_limit_gets_413_before_it_is_sent(
    logs: pytest.LogCaptureFixture, http: SlackHttp
) -> None:
    head = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(10 * 1024 * 1024)}
    started = time.monotonic()
    assert http.send_partly(head, [MARK.encode() * 1000]) == 413
    assert time.monotonic() - started < 5  # answered without waiting for the other 10 MB
    assert_quiet(logs)


def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    logs: pytest.LogCaptureFixture, http: SlackHttp
) -> None:
    chunk = (MARK * (64 * 1024 // len(MARK))).encode()
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    head = {"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"}
    # More than the limit, never finished: the server answers without waiting for the end.
    assert http.send_partly(head, [framed] * (MAX_BODY // len(chunk) + 2)) == 413
    assert_quiet(logs)


def test_a_replayed_signed_update_is_applied_once(
    logs: pytest.LogCaptureFixture, settings: Settings, small_plan: StoreFactory, slack: SlackStandIn
) -> None:
    """The replay is acknowledged like any request (the ack never waits on the database) and
    its work, which checks the signature first, does nothing."""
    background = Background()
    with serving(settings, small_plan, slack, background=background) as http:
        before = rag_events(small_plan)
        body = http.command_body(ALICE, "update 5.3 green")
        headers = http.signed_headers(body)
        assert http.send(body, headers)[0] == 200
        assert http.send(body, headers)[0] == 200
        background.shutdown()  # the work both requests started has finished
        assert "5.3 is now Green" in str(http.slack.wait_for_response()[-1])
        assert rag_events(small_plan) == before + 1
        assert len(http.slack.calls_to("response/r1")) == 1
    assert "signature already used: not done twice" in logs.text


def test_a_slack_retry_is_acknowledged_and_not_applied_again(
    settings: Settings, small_plan: StoreFactory, slack: SlackStandIn
) -> None:
    background = Background()
    with serving(settings, small_plan, slack, background=background) as http:
        body = http.command_body(ALICE, "update 5.3 green")
        headers = {
            **http.signed_headers(body),
            "X-Slack-Retry-Num": "1",
            "X-Slack-Retry-Reason": "http_timeout",
        }
        before = rag_events(small_plan)
        assert http.send(body, headers)[0] == 200
        background.shutdown()  # any work the request started has finished
        assert rag_events(small_plan) == before
        assert [call.method for call in http.slack.calls] == ["auth.test"]


@pytest.fixture(params=["sql", "memory"])
def seen(request: pytest.FixtureRequest, engine: Engine) -> SeenRequests:
    return SqlSeenRequests(engine) if request.param == "sql" else MemorySeenRequests()


def test_a_signature_is_new_once_and_forgotten_after_the_window(seen: SeenRequests) -> None:
    now = dt.datetime(2025, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert seen.first_time("v0=a", now, REPLAY_WINDOW)
    assert not seen.first_time("v0=a", now + dt.timedelta(seconds=1), REPLAY_WINDOW)
    assert seen.first_time("v0=b", now, REPLAY_WINDOW)
    later = now + REPLAY_WINDOW + dt.timedelta(seconds=1)
    assert seen.first_time("v0=c", later, REPLAY_WINDOW)  # and "v0=a", "v0=b" are pruned
    assert seen.first_time("v0=a", later, REPLAY_WINDOW)


def test_when_the_replay_check_cannot_answer_the_work_still_answers(logs: pytest.LogCaptureFixture) -> None:
    """The database is down: the check fails, and the work goes on to tell the person so,
    rather than leaving them with no answer."""

    def database_down() -> bool:
        raise ConnectionRefusedError("connection refused")

    answered: list[str] = []
    background = Background(1)
    background.submit(lambda: answered.append("try again"), {FIRST_TIME: database_down}).result()
    background.shutdown()
    assert answered == ["try again"]
    assert "could not check whether a request was seen before (ConnectionRefusedError)" in logs.text
