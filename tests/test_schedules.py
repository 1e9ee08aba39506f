"""Reminders, nudges, escalations, digests and exemption reports, by time travel.

Every tick is `run_due` at an instant the test chooses; Slack is the stand-in. Nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.slack_client import make_client
from csip.settings import Settings
from plan.clock import LONDON
from plan.service import existing_plan
from schedules.sending import send
from schedules.tick import TickReport, run_due
from sheets.cells import Cell
from storage.store import SqlStoreFactory as StoreFactory
from storage.tables import DeliveryRow
from tests.conftest import PLAN_GRID, Seed, load_grid, serving
from tests.signed import SlackHttp
from tests.slack_standin import Answer, SlackStandIn, rate_limited, server_error

pytestmark = pytest.mark.usefixtures("charts_drawn_once")  # the digest's chart: see conftest
ALICE_EMAIL, BOB_EMAIL, CAROL_EMAIL = "alice@council.example", "bob@council.example", "carol@council.example"
HEADER: list[Cell] = PLAN_GRID[0]


def london(year: int, month: int, day: int, hour: int = 9, minute: int = 5) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def row(ref: str, owner: str, due: dt.date, rag: str, note: str = "Because") -> list[Cell]:
    priority = int(ref.split(".")[0])
    titles = {2: ("Management oversight", BOB_EMAIL), 5: ("Children Looked After", CAROL_EMAIL)}
    title, lead = titles[priority]
    return [ref, priority, title, lead, f"Action {ref}", owner, due, rag, note]


@pytest.fixture
def week_plan(open_store: StoreFactory, seed: Seed) -> StoreFactory:
    """Actions timed so that the week of Monday 1 December 2025 has something every day."""
    seed("the week plan", lambda: write_week_plan(open_store))
    return open_store


def write_week_plan(open_store: StoreFactory) -> None:
    # 2.3 was last confirmed on 4 November: stale (28 days) on Tuesday 2 December.
    load_grid(
        open_store, [HEADER, row("2.3", BOB_EMAIL, dt.date(2026, 3, 31), "Green")], dt.date(2025, 11, 4)
    )
    load_grid(
        open_store,
        [
            HEADER,
            row("2.3", BOB_EMAIL, dt.date(2026, 3, 31), "Green"),
            row("5.1", ALICE_EMAIL, dt.date(2025, 12, 2), "Amber"),  # 1 working day on Monday
            row("5.2", ALICE_EMAIL, dt.date(2025, 12, 10), "Green"),  # 7 working days on Monday
            row("5.3", ALICE_EMAIL, dt.date(2025, 11, 20), "Red", "Contract late"),  # 7 overdue on Monday
            row("2.1", BOB_EMAIL, dt.date(2025, 11, 11), "Amber"),  # 14 overdue on Monday
            row("2.2", "zed@nowhere.example", dt.date(2025, 11, 28), "Amber"),  # owner not in Slack
            row("5.4", ALICE_EMAIL, dt.date(2025, 10, 1), "Complete", ""),
        ],
        dt.date(2025, 11, 10),
    )


@pytest.fixture
def schedule_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"digest_channels": ("CDIGEST",), "governance_channel": "CGOV", "management_channel": "CMGMT"}
    )


@pytest.fixture
def client(schedule_settings: Settings, retry_waits: list[float]) -> WebClient:
    return make_client(schedule_settings.slack(), sleep=retry_waits.append)


def tick(week_plan: StoreFactory, client: WebClient, settings: Settings, at: dt.datetime) -> TickReport:
    return run_due(week_plan, client, settings.schedule(), at.astimezone(dt.UTC))


def sent_to(slack: SlackStandIn) -> Counter[str]:
    return Counter(post["channel"] for post in slack.posted())


def statuses(open_store: StoreFactory) -> Counter[str]:
    with open_store() as store:
        rows = store.session.scalars(select(DeliveryRow).where(~DeliveryRow.kind.startswith("planned:")))
        return Counter(row.status for row in rows)


def test_a_week_of_ticks_sends_exactly_what_is_due(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    first = tick(week_plan, client, schedule_settings, london(2025, 12, 1, 8, 55))
    assert slack.posted() == []
    assert len(first.skipped) == 5  # Friday's and November's slots: too late
    for day in range(1, 6):
        for hour, minute in ((8, 55), (9, 5), (12, 0), (17, 30)):
            tick(week_plan, client, schedule_settings, london(2025, 12, day, hour, minute))
    posts = slack.posted()
    assert sent_to(slack) == {
        "UALICE": 5,  # one a day: due soon and overdue together
        "UBOB": 5,
        "UCAROL": 1,  # 5.3 reached 7 working days overdue on Monday
        "CMGMT": 1,  # 2.1 reached 14 on Monday
        "CDIGEST": 4,  # the digest and its three thread replies
        "CGOV": 2,  # the exemption report and its list of Reds
    }
    monday_alice = next(p for p in posts if p["channel"] == "UALICE")
    text = json.dumps(monday_alice["blocks"])
    assert "5.1" in text
    assert "5.2" in text
    assert "5.3" in text
    assert "5.4" not in text
    assert "in 1 working day" in text
    assert "in 7 working days" in text
    assert "7 working days overdue" in text
    tuesday_bob = [p for p in posts if p["channel"] == "UBOB"][1]
    assert "Still Green?" in json.dumps(tuesday_bob["blocks"])
    digest = [p for p in posts if p["channel"] == "CDIGEST"]
    assert all(p.get("thread_ts") == digest[0]["posted_ts"] for p in digest[1:])
    assert "Zed" in json.dumps(digest[3]["blocks"])  # listed as unreachable, not silently skipped
    uploads = slack.calls_to("files.completeUploadExternal")
    assert [u.params["channel_id"] for u in uploads] == ["CDIGEST", "CDIGEST"]
    assert all(u.params["thread_ts"] == digest[0]["posted_ts"] for u in uploads)
    assert [content[:4] for content in slack.uploaded()] == [b"\x89PNG", b"PK\x03\x04"]  # chart, workbook
    assert statuses(week_plan) == {"delivered": 14, "unreachable": 5}


def test_the_same_tick_twice_sends_nothing_new(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    at = london(2025, 12, 1)
    tick(week_plan, client, schedule_settings, at)
    once = len(slack.posted())
    report = tick(week_plan, client, schedule_settings, at)
    assert len(slack.posted()) == once
    assert report.planned == []
    assert not report.outcomes


def test_a_crash_between_claim_and_send_is_retried_once_the_claim_lapses(
    week_plan: StoreFactory,
    client: WebClient,
    schedule_settings: Settings,
    slack: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(*args: Any) -> Any:
        raise SystemExit("the process died")

    monkeypatch.setattr("schedules.tick.send", crash)
    with pytest.raises(SystemExit):
        tick(week_plan, client, schedule_settings, london(2025, 12, 1))
    assert slack.posted() == []
    assert statuses(week_plan)["sending"] > 0
    monkeypatch.setattr("schedules.tick.send", send)
    tick(week_plan, client, schedule_settings, london(2025, 12, 1, 9, 10))  # claims still held
    assert slack.posted() == []
    tick(week_plan, client, schedule_settings, london(2025, 12, 1, 9, 20))
    assert sent_to(slack)["UALICE"] == 1
    assert statuses(week_plan)["sending"] == 0


def test_rate_limited_then_ok_delivers_once(
    week_plan: StoreFactory,
    client: WebClient,
    schedule_settings: Settings,
    slack: SlackStandIn,
    retry_waits: list[float],
) -> None:
    slack.script("chat.postMessage", rate_limited(retry_after=30))
    tick(week_plan, client, schedule_settings, london(2025, 12, 1))
    assert 30 <= retry_waits[0] < 31
    assert len(slack.calls_to("chat.postMessage")) == len(slack.posted()) + 1
    assert len(slack.posted()) == 10
    assert statuses(week_plan)["delivered"] == 6


def test_a_5xx_on_a_post_is_unknown_so_the_next_tick_looks_then_posts_once(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    """Slack may have posted before its 5xx: the post is not repeated at once, and the next tick
    looks for it in the conversation first (here it had not landed, so it goes once)."""
    slack.script("chat.postMessage", server_error())
    report = tick(week_plan, client, schedule_settings, london(2025, 12, 1))
    assert report.outcomes["unknown"] == 1
    assert statuses(week_plan)["pending"] == 1
    tick(week_plan, client, schedule_settings, london(2025, 12, 1, 9, 10))
    assert len(slack.calls_to("conversations.history")) == 1
    assert statuses(week_plan) == {"delivered": 6, "unreachable": 1}
    assert len(slack.posted()) == 10


def test_a_thread_reply_that_fails_is_retried_without_reposting_the_message(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"governance_channel": None, "management_channel": None})
    # Alice, Bob, Carol and the digest itself go; its first thread reply fails with a 5xx.
    slack.script("chat.postMessage", None, None, None, None, server_error())
    tick(week_plan, client, settings, london(2025, 12, 1))
    assert sent_to(slack)["CDIGEST"] == 1
    assert statuses(week_plan)["pending"] == 1
    tick(week_plan, client, settings, london(2025, 12, 1, 9, 10))
    digest = [p for p in slack.posted() if p["channel"] == "CDIGEST"]
    assert len(digest) == 4
    assert sum("thread_ts" not in p for p in digest) == 1


@pytest.mark.parametrize("replicas", [2, 4])
def test_concurrent_ticks_deliver_once(
    week_plan: StoreFactory,
    schedule_settings: Settings,
    slack: SlackStandIn,
    replicas: int,
) -> None:
    """Several replicas ticking at the same instant: every message goes once."""
    start = threading.Barrier(replicas)
    errors: list[BaseException] = []

    def replica() -> None:
        try:
            start.wait()
            run_due(
                week_plan,
                make_client(schedule_settings.slack()),
                schedule_settings.schedule(),
                london(2025, 12, 1).astimezone(dt.UTC),
            )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=replica) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sent_to(slack) == {"UALICE": 1, "UBOB": 1, "UCAROL": 1, "CMGMT": 1, "CDIGEST": 4, "CGOV": 2}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Friday 24 October 2025 is in summer time: 09:00 London is 08:00 UTC.
        (dt.datetime(2025, 10, 24, 7, 59, tzinfo=dt.UTC), dt.datetime(2025, 10, 24, 8, 1, tzinfo=dt.UTC)),
        # Monday 27 October 2025, the clocks went back on Sunday: 09:00 London is 09:00 UTC.
        (dt.datetime(2025, 10, 27, 8, 59, tzinfo=dt.UTC), dt.datetime(2025, 10, 27, 9, 1, tzinfo=dt.UTC)),
        # Monday 30 March 2026, the clocks went forward on Sunday: 09:00 London is 08:00 UTC.
        (dt.datetime(2026, 3, 30, 7, 59, tzinfo=dt.UTC), dt.datetime(2026, 3, 30, 8, 1, tzinfo=dt.UTC)),
    ],
    ids=["summer", "october-change", "march-change"],
)
def test_sends_stay_at_nine_london_time_across_clock_changes(
    open_store: StoreFactory,
    client: WebClient,
    schedule_settings: Settings,
    slack: SlackStandIn,
    before: dt.datetime,
    after: dt.datetime,
) -> None:
    day = after.astimezone(LONDON).date()
    load_grid(open_store, [HEADER, row("5.1", ALICE_EMAIL, day - dt.timedelta(days=30), "Amber")], day)
    settings = schedule_settings.model_copy(
        update={"digest_channels": (), "governance_channel": None, "catch_up_hours": 1}
    )
    run_due(open_store, client, settings.schedule(), before)  # the day before's slot is past catching up
    assert sent_to(slack)["UALICE"] == 0
    run_due(open_store, client, settings.schedule(), after)
    assert sent_to(slack)["UALICE"] == 1


def test_christmas_and_easter(
    open_store: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    """No reminders on bank holidays; the Easter Monday digest goes on the Thursday before."""
    load_grid(
        open_store, [HEADER, row("5.1", ALICE_EMAIL, dt.date(2025, 12, 1), "Amber")], dt.date(2025, 12, 1)
    )
    settings = schedule_settings.model_copy(update={"governance_channel": None})
    days_with_dm = []
    start = dt.date(2025, 12, 23)
    for offset in range(8):  # Tuesday 23 December 2025 to Tuesday 30 December
        day = start + dt.timedelta(days=offset)
        before = sent_to(slack)["UALICE"]
        run_due(
            open_store,
            client,
            settings.schedule(),
            london(day.year, day.month, day.day, 9, 30).astimezone(dt.UTC),
        )
        if sent_to(slack)["UALICE"] > before:
            days_with_dm.append(day.isoformat())
    assert days_with_dm == ["2025-12-23", "2025-12-24", "2025-12-29", "2025-12-30"]

    digests = []
    for offset in range(8):  # Wednesday 1 April 2026 to Wednesday 8 April: Easter is 3 to 6 April
        day = dt.date(2026, 4, 1) + dt.timedelta(days=offset)
        before = sent_to(slack)["CDIGEST"]
        run_due(
            open_store,
            client,
            settings.schedule(),
            london(day.year, day.month, day.day, 9, 30).astimezone(dt.UTC),
        )
        if sent_to(slack)["CDIGEST"] > before:
            digests.append(day.isoformat())
    assert digests == ["2026-04-02"]


def test_a_digest_three_days_late_is_skipped_with_a_log_line(
    week_plan: StoreFactory,
    client: WebClient,
    schedule_settings: Settings,
    slack: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    report = tick(week_plan, client, schedule_settings, london(2025, 12, 4, 9, 30))  # Thursday
    assert "digest 2025-12-01" in report.skipped
    assert "skipping digest 2025-12-01" in caplog.text
    assert sent_to(slack)["CDIGEST"] == 0
    assert sent_to(slack)["UALICE"] == 1  # Thursday's own DM


@pytest.fixture
def reminded(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> Iterator[SlackHttp]:
    """Monday's reminders sent, and the app serving button presses with the clock on Monday."""
    tick(week_plan, client, schedule_settings, london(2025, 12, 1))
    with serving(schedule_settings, week_plan, slack, clock=lambda: london(2025, 12, 1, 10, 0)) as served:
        yield served


def press(http: SlackHttp, user: str, choice: str, ref: str, channel: str = "DALICE") -> dict[str, Any]:
    posted = next(p for p in http.slack.posted() if p["channel"] == "U" + channel[1:])
    ts = posted["posted_ts"]
    status, _ = http.interaction(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "trigger_id": "trigger-9",
            "container": {"type": "message", "channel_id": channel, "message_ts": ts},
            "message": {"text": posted["text"], "blocks": posted["blocks"], "ts": ts},
            "response_url": http.slack.response_url("button"),
            "actions": [{"action_id": f"reminder_{choice}", "value": ref, "type": "button"}],
        }
    )
    assert status == 200
    return {"ts": ts}


def rag_of(open_store: StoreFactory, ref: str) -> str | None:
    with open_store() as store:
        action = store.load(existing_plan(store, "default")).actions[ref]
    return action.rag.value if action.rag else None


def test_green_button_updates_and_marks_the_reminder_in_place(
    reminded: SlackHttp, week_plan: StoreFactory
) -> None:
    where = press(reminded, "UALICE", "green", "5.1")
    update = reminded.slack.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
    params = next(c for c in update if c.method == "chat.update").params
    assert params["channel"] == "DALICE"
    assert params["ts"] == where["ts"]
    blocks = json.dumps(params["blocks"])
    assert "5.1: marked Green by <@UALICE>" in blocks
    assert '"block_id": "reminder:5.2"' in blocks  # the other actions keep their buttons
    assert rag_of(week_plan, "5.1") == "green"


def test_a_press_saved_but_not_shown_on_the_reminder_says_it_was_saved(
    reminded: SlackHttp, week_plan: StoreFactory
) -> None:
    reminded.slack.script("chat.update", Answer(body={"ok": False, "error": "cant_update_message"}))
    press(reminded, "UALICE", "green", "5.1")
    reply = reminded.slack.wait_for_response("button")[0]
    assert "Your change to 5.1 was saved" in reply["text"]
    assert "nothing was changed" not in reply["text"]
    assert rag_of(week_plan, "5.1") == "green"


def test_a_stranger_pressing_gets_told_and_nothing_changes(
    reminded: SlackHttp, week_plan: StoreFactory
) -> None:
    press(reminded, "UDAVE", "complete", "5.1")
    reply = reminded.slack.wait_for_response("button")[0]
    assert "Only the owner of 5.1" in reply["text"]
    assert rag_of(week_plan, "5.1") == "amber"
    assert reminded.slack.calls_to("chat.update") == []


def test_red_button_asks_for_the_reason_then_marks_the_reminder(
    reminded: SlackHttp, week_plan: StoreFactory
) -> None:
    where = press(reminded, "UALICE", "red", "5.2")
    calls = reminded.slack.wait_for(lambda calls: any(c.method == "views.open" for c in calls))
    view = next(c for c in calls if c.method == "views.open").params["view"]
    assert view["blocks"][1]["element"]["initial_option"]["value"] == "red"
    status, _ = reminded.interaction(
        {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": "UALICE", "team_id": "T1"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "update_rag_modal",
                "private_metadata": view["private_metadata"],
                "state": {
                    "values": {
                        "action": {"action": {"type": "static_select", "selected_option": {"value": "5.2"}}},
                        "rag": {"rag": {"type": "radio_buttons", "selected_option": {"value": "red"}}},
                        "note": {"note": {"type": "plain_text_input", "value": "Supplier pulled out"}},
                    }
                },
            },
        }
    )
    assert status == 200
    calls = reminded.slack.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
    assert rag_of(week_plan, "5.2") == "red"
    update = next(c for c in calls if c.method == "chat.update")
    assert update.params["ts"] == where["ts"]
    assert "5.2: marked Red" in json.dumps(update.params["blocks"])


def test_snooze_keeps_an_action_out_of_reminders(
    reminded: SlackHttp, week_plan: StoreFactory, client: WebClient, schedule_settings: Settings
) -> None:
    press(reminded, "UALICE", "snooze7", "5.3")
    reminded.slack.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
    tick(week_plan, client, schedule_settings, london(2025, 12, 3))
    monday, wednesday = [p for p in reminded.slack.posted() if p["channel"] == "UALICE"]
    assert "5.3" in json.dumps(monday["blocks"])
    assert "5.1" in json.dumps(wednesday["blocks"])
    assert "5.3" not in json.dumps(wednesday["blocks"])


def test_confirming_a_stale_rag_stops_the_flag(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    tick(week_plan, client, schedule_settings, london(2025, 12, 2))
    with serving(schedule_settings, week_plan, slack, clock=lambda: london(2025, 12, 2, 10, 0)) as http:
        posted = [p for p in slack.posted() if p["channel"] == "UBOB"][-1]
        assert "Still Green?" in json.dumps(posted["blocks"])
        ts = posted["posted_ts"]
        status, _ = http.interaction(
            {
                "type": "block_actions",
                "team": {"id": "T1"},
                "user": {"id": "UBOB", "team_id": "T1"},
                "container": {"type": "message", "channel_id": "DBOB", "message_ts": ts},
                "message": {"text": posted["text"], "blocks": posted["blocks"], "ts": ts},
                "actions": [{"action_id": "reminder_confirm", "value": "2.3", "type": "button"}],
            }
        )
        assert status == 200
        update = slack.wait_for(lambda calls: any(c.method == "chat.update" for c in calls))
        assert "confirmed still Green" in json.dumps([c.params for c in update if c.method == "chat.update"])
    before = len(slack.posted())
    tick(week_plan, client, schedule_settings, london(2025, 12, 9))  # a week on: would be flagged again
    reminders = [
        p
        for p in slack.posted()[before:]
        if p["channel"] == "UBOB" and "improvement plan actions need" in p["text"]
    ]
    assert len(reminders) == 1  # Bob still hears about his other action that day
    assert "Still Green?" not in json.dumps(reminders[0]["blocks"])
