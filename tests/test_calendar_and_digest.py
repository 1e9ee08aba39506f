"""Working days, send slots and the digest's contents: pure, no database or Slack."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from plan.calendar import WorkingCalendar
from plan.clock import LONDON
from plan.digest import build_digest, exemption_lines
from plan.model import ActionRecord, ActionState, Person, PlanView, Priority, Rag
from plan.reminders import Item, OwnerNotice
from schedules.messages import digest as digest_messages
from schedules.messages import exemption_report, owner_reminder
from tests.slack_standin import blocks_problem

CALENDAR = WorkingCalendar()
IDS = itertools.count(1)


def at(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(dt.UTC)


def test_bank_holidays_and_weekends_are_not_working_days() -> None:
    assert not CALENDAR.is_working_day(dt.date(2025, 12, 25))
    assert not CALENDAR.is_working_day(dt.date(2026, 4, 3))  # Good Friday
    assert not CALENDAR.is_working_day(dt.date(2026, 4, 6))  # Easter Monday
    assert CALENDAR.first_working_day(2026, 1) == dt.date(2026, 1, 2)
    assert CALENDAR.first_working_day(2025, 11) == dt.date(2025, 11, 3)
    assert CALENDAR.working_days_between(dt.date(2025, 12, 24), dt.date(2025, 12, 29)) == 1
    assert CALENDAR.working_days_between(dt.date(2025, 12, 29), dt.date(2025, 12, 24)) == -1


def test_slots() -> None:
    # 08:59 on a Monday: the daily slot is still Friday's.
    assert CALENDAR.latest_daily_slot(at(2025, 12, 1, 8, 59)) == dt.date(2025, 11, 28)
    assert CALENDAR.latest_daily_slot(at(2025, 12, 1, 9, 0)) == dt.date(2025, 12, 1)
    # The Easter Monday digest moves back to Maundy Thursday.
    assert CALENDAR.latest_weekly_slot(at(2026, 4, 2, 9, 1), 0) == dt.date(2026, 4, 2)
    assert CALENDAR.latest_weekly_slot(at(2026, 4, 7, 12, 0), 0) == dt.date(2026, 4, 2)
    assert CALENDAR.latest_monthly_slot(at(2026, 1, 1, 12, 0)) == dt.date(2025, 12, 1)
    assert CALENDAR.send_at(dt.date(2025, 7, 1)) == dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.UTC)


def action(
    ref: str, rag: Rag | None, due: dt.date, owner: int = 1, since: dt.date | None = None
) -> ActionState:
    when = dt.datetime.combine(since or due, dt.time(12), dt.UTC)
    return ActionState(
        record=ActionRecord(
            id=next(IDS), ref=ref, description=f"Action {ref} " * 10, priority=int(ref.split(".")[0])
        ),
        owner_id=owner,
        due_date=due,
        original_due_date=due,
        rag=rag,
        rag_note="A reason " * 20,
        rag_since=when,
        rag_confirmed_at=when,
        last_update_at=when,
        last_note=None,
        completed_at=None,
        times_rescheduled=0,
    )


def big_plan(reds: int) -> PlanView:
    """306 actions over 10 priorities, ``reds`` of them Red, all overdue: the worst case for length."""
    rags = [Rag.RED] * reds + [Rag.AMBER, Rag.GREEN] * 200
    actions = {}
    for n in range(306):
        ref = f"{n % 10 + 1}.{n + 1}"
        actions[ref] = action(ref, rags[n], dt.date(2017, 1, 1) + dt.timedelta(days=n), owner=n % 3 + 1)
    people = {i: Person(i, f"Person {i}", f"p{i}@council.example", None) for i in (1, 2, 3)}
    priorities = {n: Priority(n, f"Priority title {n} " * 3, 1) for n in range(1, 11)}
    return PlanView(1, priorities, people, actions)


def test_the_digest_reports_what_moved_and_red_by_priority() -> None:
    priorities = {5: Priority(5, "Children Looked After", None), 2: Priority(2, "Oversight", None)}
    week_ago = PlanView(
        1,
        priorities,
        {},
        {
            "5.1": action("5.1", Rag.AMBER, dt.date(2017, 9, 1)),
            "5.2": action("5.2", Rag.RED, dt.date(2017, 9, 1)),
            "2.1": action("2.1", Rag.GREEN, dt.date(2017, 9, 1)),
        },
    )
    now = PlanView(
        1,
        week_ago.priorities,
        {},
        {
            "5.1": action("5.1", Rag.RED, dt.date(2017, 9, 1)),
            "5.2": action("5.2", Rag.GREEN, dt.date(2017, 9, 1)),
            "2.1": action("2.1", Rag.GREEN, dt.date(2017, 9, 1)),
            "2.2": action("2.2", Rag.AMBER, dt.date(2017, 9, 20)),
        },
    )
    summary = build_digest(now, week_ago, dt.date(2017, 9, 11))
    assert [a.ref for a in summary.went_red] == ["5.1"] and [a.ref for a in summary.left_red] == ["5.2"]
    assert [p.number for p in summary.without_red] == [2]
    assert [(p.number, p.rag.red) for p in summary.most_red] == [(5, 1)]
    assert [a.ref for a in summary.due_soon] == ["2.2"]
    assert [a.ref for a in summary.overdue] == ["2.1", "5.1", "5.2"]


def test_ties_for_most_red_are_named_together() -> None:
    plan = PlanView(
        1,
        {},
        {},
        {
            "1.1": action("1.1", Rag.RED, dt.date(2017, 1, 1)),
            "2.1": action("2.1", Rag.RED, dt.date(2017, 1, 1)),
        },
    )
    summary = build_digest(plan, plan, dt.date(2017, 9, 1))
    assert [p.number for p in summary.most_red] == [1, 2]
    text = json.dumps(digest_messages(summary, plan)[0]["blocks"])
    assert "priority 1 and priority 2, with 1 Red" in text


@pytest.mark.parametrize("reds", [0, 40, 120])
def test_long_digests_and_exemption_reports_fit_block_kit(reds: int) -> None:
    plan = big_plan(reds)
    today = dt.date(2018, 1, 31)
    messages = digest_messages(build_digest(plan, plan, today, unreachable={1, 2, 3}), plan)
    messages += exemption_report(exemption_lines(plan, today), plan, today)
    for message in messages:
        assert blocks_problem(message["blocks"]) is None, message["text"]
    reds_listed = sum(json.dumps(m["blocks"]).count(":red_circle: *") for m in messages[4:])
    assert reds_listed == reds  # every Red reaches the board, across as many replies as it takes


def test_an_owner_with_many_actions_gets_one_message_that_fits() -> None:
    plan = big_plan(0)
    items = [Item(a, 3) for a in plan.actions.values()]
    message = owner_reminder(OwnerNotice(1, overdue=items), plan, dt.date(2018, 1, 31))
    assert blocks_problem(message["blocks"]) is None
    assert "Also needing an update" in json.dumps(message["blocks"])
