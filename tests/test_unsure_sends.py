"""Posts whose answer never came back, and senders that died: still one message each.

Slack may post a message and answer after the client's timeout, or the connection may drop
after the post; a sender may be killed between posting and saving its progress. Each time, the
next sender finds the message in the conversation (by the key in its metadata, or a file by its
name) instead of posting it again. Claims come in small batches, so a dead sender holds back
only its batch, and only for the lease.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.slack_client import make_client
from csip.settings import Settings
from plan.deliveries import DeliveryKey, NewDelivery
from schedules.sending import Outcome
from schedules.tick import CLAIM_BATCH, CLAIM_LEASE
from storage.deliveries import SqlDeliveries
from storage.store import SqlStoreFactory as StoreFactory
from tests.slack_standin import (
    Answer,
    SlackStandIn,
    accepted_then_hung_up,
    accepted_then_late,
    late_without_posting,
    rate_limited,
)
from tests.test_schedules import client, london, schedule_settings, sent_to, statuses, tick, week_plan

pytestmark = pytest.mark.usefixtures("charts_drawn_once")
MONDAY = london(2025, 12, 1)
NEXT_TICK = london(2025, 12, 1, 9, 10)


@pytest.fixture
def dms_only(schedule_settings: Settings) -> Settings:
    """Only the DMs: to Alice, Bob and Carol (the lead of an action 7 working days overdue)."""
    return schedule_settings.model_copy(
        update={"digest_channels": (), "governance_channel": None, "management_channel": None}
    )


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets a held answer go once the test is done with it (the client gave up long before)."""
    event = threading.Event()
    yield event
    event.set()


def test_a_post_slack_accepted_but_never_answered_is_found_not_repeated(
    week_plan: StoreFactory, client: WebClient, dms_only: Settings, slack: SlackStandIn
) -> None:
    slack.script("chat.postMessage", accepted_then_hung_up())
    first = tick(week_plan, client, dms_only, MONDAY)
    assert first.outcomes[Outcome.UNKNOWN] == 1
    assert len(slack.calls_to("chat.postMessage")) == 3  # Alice, Bob, Carol: the hang-up not retried
    second = tick(week_plan, client, dms_only, NEXT_TICK)
    assert second.outcomes == {Outcome.DELIVERED: 1}
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}
    assert len(slack.calls_to("conversations.history")) == 1
    assert statuses(week_plan) == {"delivered": 3, "unreachable": 1}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_post_slack_accepted_then_answered_with_a_5xx_is_not_repeated(
    week_plan: StoreFactory, client: WebClient, dms_only: Settings, slack: SlackStandIn, status: int
) -> None:
    slack.script("chat.postMessage", Answer(status, {"ok": False, "error": "internal_error"}, accept=True))
    assert tick(week_plan, client, dms_only, MONDAY).outcomes[Outcome.UNKNOWN] == 1
    assert len(slack.calls_to("chat.postMessage")) == 3  # not repeated by the client either
    tick(week_plan, client, dms_only, NEXT_TICK)
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}


def test_a_look_up_that_fails_never_gives_the_message_up(
    week_plan: StoreFactory, client: WebClient, dms_only: Settings, slack: SlackStandIn
) -> None:
    slack.script("chat.postMessage", accepted_then_hung_up())
    tick(week_plan, client, dms_only, MONDAY)
    slack.script("conversations.history", Answer(body={"ok": False, "error": "missing_scope"}))
    assert tick(week_plan, client, dms_only, NEXT_TICK).outcomes == {Outcome.UNKNOWN: 1}
    assert statuses(week_plan)["pending"] == 1  # still to be looked for, not failed
    tick(week_plan, client, dms_only, london(2025, 12, 1, 9, 20))
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}
    assert statuses(week_plan) == {"delivered": 3, "unreachable": 1}


def test_a_long_rate_limit_is_not_waited_out_within_the_claim(
    week_plan: StoreFactory, dms_only: Settings, slack: SlackStandIn, retry_waits: list[float]
) -> None:
    """A Retry-After longer than a minute fails the post (Slack did not post it): the next
    tick tries again, and the claim never lapses while a sender waits."""
    recording = make_client(dms_only.slack(), sleep=retry_waits.append)
    slack.script("chat.postMessage", rate_limited(retry_after=400))
    assert tick(week_plan, recording, dms_only, MONDAY).outcomes[Outcome.RETRY] == 1
    assert retry_waits == []
    tick(week_plan, recording, dms_only, NEXT_TICK)
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}


def test_a_post_answered_after_the_timeout_is_found_not_repeated(
    week_plan: StoreFactory, dms_only: Settings, slack: SlackStandIn, release: threading.Event
) -> None:
    impatient = make_client(dms_only.slack(), timeout=0.2)
    slack.script("chat.postMessage", accepted_then_late(release))
    assert tick(week_plan, impatient, dms_only, MONDAY).outcomes[Outcome.UNKNOWN] == 1
    release.set()
    tick(week_plan, impatient, dms_only, NEXT_TICK)
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}


def test_a_post_that_timed_out_without_landing_is_posted_once_more(
    week_plan: StoreFactory, dms_only: Settings, slack: SlackStandIn, release: threading.Event
) -> None:
    impatient = make_client(dms_only.slack(), timeout=0.2)
    slack.script("chat.postMessage", late_without_posting(release))
    tick(week_plan, impatient, dms_only, MONDAY)
    assert sum(sent_to(slack).values()) == 2  # the first DM did not land
    release.set()
    second = tick(week_plan, impatient, dms_only, NEXT_TICK)
    assert second.outcomes == {Outcome.DELIVERED: 1}
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}


def test_a_sender_killed_after_posting_is_not_repeated_by_the_next(
    week_plan: StoreFactory,
    client: WebClient,
    dms_only: Settings,
    slack: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def killed(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed between the post and saving it")

    monkeypatch.setattr(SqlDeliveries, "part_sent", killed)
    with pytest.raises(SystemExit):
        tick(week_plan, client, dms_only, MONDAY)
    monkeypatch.undo()
    assert sum(sent_to(slack).values()) == 1
    tick(week_plan, client, dms_only, MONDAY + CLAIM_LEASE - dt.timedelta(minutes=1))
    assert sum(sent_to(slack).values()) == 1  # the dead sender's batch is held for the lease
    tick(week_plan, client, dms_only, MONDAY + CLAIM_LEASE + dt.timedelta(minutes=1))
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1}
    assert statuses(week_plan) == {"delivered": 3, "unreachable": 1}


def test_a_thread_reply_and_a_file_that_landed_unseen_are_not_repeated(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"governance_channel": None, "management_channel": None})
    # The DMs and the digest go; the chart's upload and then the first list hang up after landing.
    slack.script("files.completeUploadExternal", accepted_then_hung_up())
    tick(week_plan, client, settings, MONDAY)
    slack.script("chat.postMessage", accepted_then_hung_up())
    tick(week_plan, client, settings, NEXT_TICK)
    tick(week_plan, client, settings, london(2025, 12, 1, 9, 20))
    digest = [post for post in slack.posted() if post["channel"] == "CDIGEST"]
    assert len(digest) == 4  # the digest and its three lists, once each
    uploaded = [c.params["files"] for c in slack.calls_to("files.completeUploadExternal")]
    assert len(uploaded) == 2  # the chart, whose answer was lost, and the workbook: once each
    assert "RAG by priority" in uploaded[0]
    assert len(slack.calls_to("conversations.replies")) == 2
    assert statuses(week_plan) == {"delivered": 4, "unreachable": 1}


def test_a_dead_sender_holds_back_only_its_batch_and_only_for_the_lease(
    week_plan: StoreFactory, client: WebClient, dms_only: Settings, slack: SlackStandIn
) -> None:
    day = MONDAY.date()
    extra = [
        NewDelivery(DeliveryKey("management_escalation", f"channel:C{n:02d}", "", day), [_post(n)])
        for n in range(25)
    ]
    with week_plan() as store:
        plan_id = store.find_plan_id("default")
        assert plan_id is not None
        store.deliveries.add(plan_id, extra, MONDAY)
        held = store.deliveries.claim(plan_id, MONDAY, CLAIM_LEASE, CLAIM_BATCH, MONDAY)  # then died
    assert len(held) == CLAIM_BATCH
    tick(week_plan, client, dms_only, MONDAY)
    assert sum(sent_to(slack)[f"C{n:02d}"] for n in range(25)) == 25 - CLAIM_BATCH
    tick(week_plan, client, dms_only, MONDAY + CLAIM_LEASE + dt.timedelta(minutes=1))
    assert Counter(sent_to(slack)[f"C{n:02d}"] for n in range(25)) == {1: 25}


def _post(n: int) -> dict[str, object]:
    return {"channel": f"C{n:02d}", "text": f"Message {n}", "blocks": []}


def test_a_post_is_not_repeated_by_the_client_after_a_hang_up_but_a_read_is(
    dms_only: Settings, slack: SlackStandIn, retry_waits: list[float]
) -> None:
    """Only a request that may have posted is held back; reading twice does no harm."""
    recording = make_client(dms_only.slack(), sleep=retry_waits.append)
    slack.script("chat.postMessage", accepted_then_hung_up())
    with pytest.raises(ConnectionError):
        recording.chat_postMessage(channel="C1", text="Hello")
    assert len(slack.calls_to("chat.postMessage")) == 1
    slack.script("users.info", accepted_then_hung_up())
    assert recording.users_info(user="UALICE")["ok"]
    assert len(slack.calls_to("users.info")) == 2
