"""Working days, send slots and the digest's contents: pure, no database or Slack."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable

import holidays
import pytest

from bot import views
from bot.blocks import context, context_dict, section, section_dict
from plan.calendar import WorkingCalendar
from plan.clock import LONDON
from plan.digest import Digest, build_digest
from plan.figures import count_plan, tally
from plan.model import ActionRecord, ActionState, Person, PlanView, Priority, Rag, Shortlist
from plan.reminders import Item, OwnerNotice, Why
from plan.rules import is_overdue, worst_first
from schedules import messages
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


def test_working_days_are_the_weekdays_that_are_not_bank_holidays() -> None:
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=range(2016, 2031))
    days = [dt.date(2016, 1, 1) + dt.timedelta(days=n) for n in range(15 * 366)]
    expected = [day.weekday() < 5 and day not in bank_holidays for day in days]
    assert [CALENDAR.is_working_day(day) for day in days] == expected
    assert CALENDAR.working_days_between(days[0], days[-1]) == sum(expected[1:])


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


def shortlist(view: PlanView, actions: list[ActionState], limit: int) -> Shortlist:
    """What storage's ``shortlist`` returns, from plain actions."""
    shown = {a.ref: a for a in worst_first(actions)[:limit]}
    return Shortlist(PlanView(view.plan_id, view.priorities, view.people, shown), len(actions))


def digest_of(
    now: PlanView, week_ago: PlanView, today: dt.date, unreachable: tuple[Person, ...] = ()
) -> Digest:
    """The digest, from two whole views rather than storage's counts and lists."""
    actions = list(now.actions.values())
    was_red = {ref for ref, a in week_ago.actions.items() if a.rag is Rag.RED}
    moved = {ref for ref, a in now.actions.items() if (a.rag is Rag.RED) != (ref in was_red)}
    soon = [a for a in actions if today <= (a.due_date or dt.date.max) <= today + dt.timedelta(days=14)]
    return build_digest(
        today,
        tally(actions, today),
        count_plan(actions, today).by_priority,
        PlanView(
            now.plan_id, now.priorities, now.people, {r: a for r, a in now.actions.items() if r in moved}
        ),
        was_red,
        shortlist(now, [a for a in actions if a.rag is Rag.RED], messages.HEAD_LINES),
        shortlist(now, [a for a in soon if a.rag is not Rag.COMPLETE], messages.LIST_SHOWN),
        shortlist(
            now, [a for a in actions if is_overdue(a, today) and a.rag is not Rag.GREEN], messages.LIST_SHOWN
        ),
        unreachable,
    )


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
    summary = digest_of(now, week_ago, dt.date(2017, 9, 11))
    assert [a.ref for a in summary.went_red] == ["5.1"]
    assert [a.ref for a in summary.left_red] == ["5.2"]
    assert [p.number for p in summary.without_red] == [2]
    assert [(p.number, p.rag.red) for p in summary.most_red] == [(5, 1)]
    assert [a.ref for a in summary.due_soon.actions] == ["2.2"]
    # Red first; then by due date, then in the order the actions were added. The past-due
    # Greens are counted apart, not listed.
    assert [a.ref for a in summary.overdue.actions] == ["5.1"]
    assert summary.past_due_green == 2


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
    summary = digest_of(plan, plan, dt.date(2017, 9, 1))
    assert [p.number for p in summary.most_red] == [1, 2]
    text = json.dumps(digest_messages(summary)[0]["blocks"])
    assert "priority 1 and priority 2 (1)" in text


@pytest.mark.parametrize("reds", [0, 40, 120])
def test_long_digests_and_exemption_reports_fit_block_kit(reds: int) -> None:
    plan = big_plan(reds)
    today = dt.date(2018, 1, 31)
    posts = digest_messages(digest_of(plan, plan, today, tuple(plan.people.values())))
    red = [a for a in plan.actions.values() if a.rag is Rag.RED]
    posts += exemption_report(shortlist(plan, red, messages.REDS_SHOWN), today)
    for post in posts:
        assert blocks_problem(post["blocks"]) is None, post["text"]
    exemption = json.dumps([post["blocks"] for post in posts[4:]])
    assert exemption.count(":red_circle: *") == min(reds, messages.REDS_SHOWN)
    if reds > messages.REDS_SHOWN:  # the rest are counted, not dropped silently
        assert f"and {reds - messages.REDS_SHOWN} more Red actions" in exemption
    else:
        assert "more Red actions" not in exemption


def test_an_owner_with_many_actions_gets_one_message_that_fits() -> None:
    plan = big_plan(0)
    actions = list(plan.actions.values())
    shown, more = actions[: messages.MAX_ITEMS], actions[messages.MAX_ITEMS : messages.MAX_ITEMS + 20]
    notice = OwnerNotice(1, [Item(a, Why.OVERDUE, 3) for a in shown], [a.ref for a in more], len(actions))
    message = owner_reminder(notice, dt.date(2018, 1, 31))
    assert blocks_problem(message["blocks"]) is None
    text = json.dumps(message["blocks"])
    assert f"Also needing an update: {more[0].ref}, " in text
    assert f"and {len(actions) - messages.MAX_ITEMS - 20} more." in text


@pytest.mark.parametrize("text", ["*5.3* Panel <delayed> & late", "x" * 3500])
def test_copied_blocks_are_the_models_own(text: str) -> None:
    assert section_dict(text) == section(text).to_dict()
    assert context_dict(text) == context(text).to_dict()


HOSTILE = "Leadership ``` <!channel> <@U0BOSS> <https://evil.example|click> &"


def test_a_hostile_priority_title_pings_nobody_in_the_digest() -> None:
    """Titles come from a spreadsheet anyone may have edited: the digest, blocks and text alike,
    carries them escaped and never inside a code block a title could close."""
    priorities = {5: Priority(5, HOSTILE, None)}
    view = PlanView(1, priorities, {}, {"5.1": action("5.1", Rag.RED, dt.date(2017, 9, 1))})
    posted = json.dumps(digest_messages(digest_of(view, view, dt.date(2017, 9, 4))))
    for live in ("<!channel>", "<@U0BOSS>", "<https://evil.example"):
        assert live not in posted
    shown_title = "Leadership ``` &lt;!channel&gt;"
    assert posted.count("```") == posted.count(shown_title)  # only the title's own: no code block
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; &amp;" in posted


@pytest.mark.parametrize(
    "reply",
    [
        lambda: views.error_reply(HOSTILE),
        lambda: views.notice_reply(HOSTILE),
        lambda: views.help_reply(HOSTILE),
        lambda: views.report_reply(HOSTILE, dt.date(2017, 8, 31)),
    ],
)
def test_reply_text_fallbacks_are_escaped(reply: Callable[[], views.Reply]) -> None:
    shown = reply()
    assert "<!channel>" not in shown.text
    assert "<@U0BOSS>" not in shown.text
    assert "&lt;!channel&gt;" in shown.text
