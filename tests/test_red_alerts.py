"""A Red is news: the next tick posts one line to the red-alert channel, with the reason, naming
the owner without pinging; once for each time an action goes Red; one message for many at once."""

from __future__ import annotations

import datetime as dt

from slack_sdk import WebClient

from csip.settings import Settings
from plan.model import Rag
from plan.rules import Caller
from plan.service import Change, existing_plan, import_sheet, update_rag
from sheets.rows import read_sheet
from storage.store import SqlStoreFactory as StoreFactory
from tests.slack_standin import SlackStandIn
from tests.test_schedules import (
    ALICE_EMAIL,
    HEADER,
    client,
    london,
    row,
    schedule_settings,
    tick,
    week_plan,
)

MONDAY_NOON = london(2025, 12, 1, 12, 0)


def alerts(slack: SlackStandIn, channel: str = "CREDS") -> list[str]:
    return [str(post["blocks"]) for post in slack.posted() if post["channel"] == channel]


def go(open_store: StoreFactory, ref: str, rag: Rag, note: str, at: dt.datetime) -> None:
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        update_rag(store, Change(plan_id, Caller(None, is_admin=True), ref, at.astimezone(dt.UTC)), rag, note)


def test_an_action_gone_red_is_told_once_with_its_reason(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"red_alert_channel": "CREDS"})
    tick(week_plan, client, settings, MONDAY_NOON)
    assert alerts(slack) == []  # 5.3 went Red in November: old news
    go(week_plan, "5.1", Rag.RED, "Panel <!channel> delayed", MONDAY_NOON)
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(minutes=5))
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(minutes=10))
    (alert,) = alerts(slack)
    assert "*5.1* Action 5.1 (priority 5 Children Looked After) went Red · Alice" in alert
    assert "_Panel &lt;!channel&gt; delayed_" in alert
    assert "<@" not in alert


def test_going_red_again_is_news_again(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"red_alert_channel": "CREDS"})
    go(week_plan, "5.1", Rag.RED, "Late", MONDAY_NOON)
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(minutes=5))
    go(week_plan, "5.1", Rag.AMBER, "Recovering", MONDAY_NOON + dt.timedelta(hours=1))
    go(week_plan, "5.1", Rag.RED, "Late again", MONDAY_NOON + dt.timedelta(hours=2))
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(hours=2, minutes=5))
    assert len(alerts(slack)) == 2
    assert "Late again" in alerts(slack)[1]


def test_many_gone_red_at_once_make_one_message(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    grid = [
        HEADER,
        *(row(f"5.{n}", ALICE_EMAIL, dt.date(2026, 1, 30), "Red", "Budget cut") for n in range(1, 9)),
    ]
    with week_plan() as store:  # imported at noon: eight actions Red at once
        import_sheet(store, "default", read_sheet(grid).rows, now=MONDAY_NOON.astimezone(dt.UTC))
    settings = schedule_settings.model_copy(update={"red_alert_channel": "CREDS"})
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(minutes=5))
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(minutes=10))
    (together,) = alerts(slack)
    assert "*7 actions went Red*" in together  # 5.3 was Red already
    assert "*5.3*" not in together


def test_without_a_channel_for_them_nothing_is_told(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"management_channel": None})
    go(week_plan, "5.1", Rag.RED, "Late", MONDAY_NOON)
    tick(week_plan, client, settings, MONDAY_NOON + dt.timedelta(minutes=5))
    assert not [post for post in slack.posted() if "went Red" in post["text"]]


def test_the_management_channel_has_them_when_no_channel_is_named(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    go(week_plan, "5.1", Rag.RED, "Late", MONDAY_NOON)
    tick(week_plan, client, schedule_settings, MONDAY_NOON + dt.timedelta(minutes=5))
    assert len([a for a in alerts(slack, "CMGMT") if "went Red" in a]) == 1


def test_two_imports_in_a_day_each_making_as_many_reds_are_both_told(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"red_alert_channel": "CREDS"})
    for hour, refs in ((10, range(10, 16)), (14, range(20, 26))):
        grid = [
            HEADER,
            *(row(f"5.{n}", ALICE_EMAIL, dt.date(2026, 1, 30), "Red", "Budget cut") for n in refs),
        ]
        at = london(2025, 12, 1, hour, 0)
        with week_plan() as store:
            import_sheet(store, "default", read_sheet(grid).rows, now=at.astimezone(dt.UTC))
        tick(week_plan, client, settings, at + dt.timedelta(minutes=5))
    first, second = alerts(slack)
    assert "*6 actions went Red*" in first and "*5.10*" in first
    assert "*6 actions went Red*" in second and "*5.21*" in second


def test_an_afternoon_red_is_told_whatever_the_catch_up_limit(
    week_plan: StoreFactory, client: WebClient, schedule_settings: Settings, slack: SlackStandIn
) -> None:
    settings = schedule_settings.model_copy(update={"red_alert_channel": "CREDS", "catch_up_hours": 2})
    afternoon = london(2025, 12, 1, 15, 0)
    go(week_plan, "5.1", Rag.RED, "Late", afternoon)
    report = tick(week_plan, client, settings, afternoon + dt.timedelta(minutes=5))
    assert "failed" not in report.outcomes
    assert len(alerts(slack)) == 1
