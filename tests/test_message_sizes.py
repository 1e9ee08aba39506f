"""Every scheduled message fits, whatever the plan's size: valid Block Kit, at most 12,000
characters of text, a reminder at most 25 controls. Plans of 306 and 3,000 actions, with no Reds
and with 300, each text long and full of characters that escaping lengthens (titles of 1,500
characters, descriptions, reasons of 1,000, names of 300)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from plan.calendar import working_days_between
from plan.digest import build_digest
from plan.figures import count_plan, tally
from plan.model import ActionRecord, ActionState, Person, PlanView, Priority, Rag
from plan.reminders import Item, OwnerNotice, Why
from plan.rules import is_overdue
from schedules import messages
from tests.slack_standin import blocks_problem
from tests.test_calendar_and_digest import shortlist

TODAY = dt.date(2018, 1, 31)
RAGS = [Rag.AMBER, Rag.GREEN, Rag.COMPLETE, None]
HOSTILE = "<!channel> & <@U1> "
IDS = itertools.count(1)


def long_text(what: str, length: int) -> str:
    return (f"{what} {HOSTILE}" * length)[:length]


def plan_of(size: int, reds: int) -> PlanView:
    people = {
        n: Person(n, long_text(f"Owner {n}", 300), f"owner{n}@council.example", None) for n in range(1, 26)
    }
    priorities = {n: Priority(n, long_text(f"Priority {n}", 1500), 1) for n in range(1, 11)}
    actions = {}
    for n in range(size):
        ref = f"{n % 10 + 1}.{n // 10 + 1}"
        rag = Rag.RED if n < reds else RAGS[n % len(RAGS)]
        due = TODAY + dt.timedelta(days=30 - n % 700)  # most past due, some due soon
        when = dt.datetime.combine(due, dt.time(12), dt.UTC)
        actions[ref] = ActionState(
            record=ActionRecord(id=next(IDS), ref=ref, description=long_text(ref, 300), priority=n % 10 + 1),
            owner_id=n % 25 + 1,
            due_date=due,
            original_due_date=due,
            rag=rag,
            rag_note=long_text("Because", 1000),
            rag_since=when,
            rag_confirmed_at=when,
            last_update_at=when,
            last_note=None,
            completed_at=None,
            times_rescheduled=0,
        )
    return PlanView(1, priorities, people, actions)


def every_message(view: PlanView) -> Iterator[tuple[str, dict[str, Any]]]:
    actions = list(view.actions.values())
    reds = [a for a in actions if a.rag is Rag.RED]
    overdue = [a for a in actions if is_overdue(a, TODAY)]
    soon = [a for a in actions if TODAY <= (a.due_date or TODAY) <= TODAY + dt.timedelta(days=14)]
    moved = PlanView(1, view.priorities, view.people, {a.ref: a for a in reds[: len(reds) // 2]})
    summary = build_digest(
        TODAY,
        tally(actions, TODAY),
        count_plan(actions, TODAY).by_priority,
        moved,
        set(),
        shortlist(view, reds, messages.HEAD_LINES),
        shortlist(view, soon, messages.LIST_SHOWN),
        shortlist(view, [a for a in overdue if a.rag is not Rag.GREEN], messages.LIST_SHOWN),
        list(view.people.values()),
    )
    for message in messages.digest(summary):
        yield "digest", message
    for message in messages.exemption_report(shortlist(view, reds, messages.REDS_SHOWN), TODAY):
        yield "exemption report", message
    items = [Item(a, Why.OVERDUE, working_days_between(a.due_date or TODAY, TODAY)) for a in overdue]
    yield "escalation", messages.escalation(items, view, TODAY, 7)
    mine = [item for item in items if item.action.owner_id == 1]
    notice = OwnerNotice(
        1,
        mine[: messages.MAX_ITEMS],
        [i.action.ref for i in mine[messages.MAX_ITEMS :]][: messages.MORE_REFS],
        len(mine),
    )
    yield "reminder", messages.owner_reminder(notice, TODAY)
    if reds:
        yield "Red alert", messages.red_alert(reds[0], view)
        yield "Red alerts", messages.red_alerts(reds, view, TODAY)


def text_in(value: Any) -> int:
    """Characters of text a payload carries: every "text" string, the fallback included."""
    if isinstance(value, dict):
        own = len(value["text"]) if isinstance(value.get("text"), str) else 0
        return own + sum(text_in(v) for k, v in value.items() if k != "text" or not isinstance(v, str))
    if isinstance(value, list):
        return sum(text_in(v) for v in value)
    return 0


def controls_in(blocks: list[dict[str, Any]]) -> int:
    return sum(
        len(block.get("elements", [])) if block["type"] == "actions" else int("accessory" in block)
        for block in blocks
    )


@pytest.mark.parametrize("reds", [0, 300])
@pytest.mark.parametrize("size", [306, 3000])
def test_every_message_fits_whatever_the_plan(size: int, reds: int) -> None:
    view = plan_of(size, reds)
    seen = set()
    for kind, message in every_message(view):
        seen.add(kind)
        assert blocks_problem(message["blocks"]) is None, kind
        assert text_in(message) <= messages.MAX_MESSAGE_TEXT, (kind, text_in(message))
        assert "<!channel>" not in str(message) and "<@U1>" not in str(message), kind
        if kind == "reminder":
            assert controls_in(message["blocks"]) <= 25
    assert seen >= {"digest", "exemption report", "escalation", "reminder"}
    assert reds == 0 or seen >= {"Red alert", "Red alerts"}


def test_a_long_list_says_how_many_more_there_are() -> None:
    view = plan_of(3000, 300)
    posts = dict(every_message(view))  # the last of each kind
    digest = [m for k, m in every_message(view) if k == "digest"]
    overdue = str(digest[1]["blocks"])
    assert "more: all are in the workbook above" in overdue
    assert "Also needing an update" in str(posts["reminder"]["blocks"])
    assert "and 200 more Red actions" in str(posts["exemption report"]["blocks"])
