"""The scheduled messages for the example plan, as people read them.

The example trackers are backfilled for August and September 2017, and Monday 2 October 2017's
messages are planned as the scheduler plans them (without Slack: owners show by name) and
written out as text by ``bot.as_text``: the digest and its thread, the exemption report, the
escalations and two owners' reminders (one short, one long). Each is compared with the file in
tests/golden/ of the same name; to accept a deliberate change, run with CSIP_UPDATE_GOLDEN=1
and read the difference before committing it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.as_text import render
from plan.calendar import WorkingCalendar, working_days_between
from plan.clock import LONDON
from plan.deliveries import NewDelivery
from plan.model import ActionState
from plan.ports import Which
from plan.reminders import Item, OwnerNotice, Why
from plan.service import existing_plan
from schedules.config import Channels, Schedule
from schedules.messages import owner_reminder
from schedules.planning import (
    DIGEST,
    EXEMPTION,
    LEAD_ESCALATION,
    MANAGEMENT_ESCALATION,
    OWNER_REMINDER,
    Planner,
    Slot,
    latest_slots,
)
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import IMPORT_AUGUST, IMPORT_SEPTEMBER, Seed, run_csip

pytestmark = pytest.mark.usefixtures("charts_drawn_once")
GOLDEN = Path(__file__).parent / "golden"
MONDAY = dt.datetime(2017, 10, 2, 9, 5, tzinfo=LONDON).astimezone(dt.UTC)
UPDATE = bool(os.environ.get("CSIP_UPDATE_GOLDEN"))  # read before the tests clear CSIP_ settings
SCHEDULE = Schedule("default", Channels(digest=("CDIGEST",), governance="CGOV", management="CMGMT"))


@pytest.fixture
def planned(
    database_url: str, seed: Seed, open_store: StoreFactory
) -> Iterator[dict[str, list[NewDelivery]]]:
    seed("August and September", lambda: run_csip(database_url, IMPORT_AUGUST, IMPORT_SEPTEMBER))
    calendar = WorkingCalendar(SCHEDULE.send_time)
    planner = Planner(SCHEDULE, calendar, directory=None)
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        yield {
            slot.kind: planner.plan(store, plan_id, slot) for slot in latest_slots(MONDAY, calendar, SCHEDULE)
        }


def as_text(delivery: NewDelivery) -> str:
    parts = [render(message).text for message in delivery.messages]
    return "\n\n┆ in the thread ┆\n".join(parts) + "\n"


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed: see CSIP_UPDATE_GOLDEN above"


def test_the_digest(planned: dict[str, list[NewDelivery]]) -> None:
    (digest,) = planned[DIGEST]
    check("digest", as_text(digest))


def test_the_exemption_report(planned: dict[str, list[NewDelivery]]) -> None:
    (report,) = planned[EXEMPTION]
    check("exemption-report", as_text(report))


def test_the_escalations(planned: dict[str, list[NewDelivery]], open_store: StoreFactory) -> None:
    """The example's due dates put its first escalations later in October: an action due on
    Friday 6 October reaches the lead on the 17th (7 working days) and management on the 26th."""
    calendar = WorkingCalendar(SCHEDULE.send_time)
    planner = Planner(SCHEDULE, calendar, directory=None)
    slots = [
        Slot(LEAD_ESCALATION, dt.date(2017, 10, 17), calendar.send_at(dt.date(2017, 10, 17))),
        Slot(MANAGEMENT_ESCALATION, dt.date(2017, 10, 26), calendar.send_at(dt.date(2017, 10, 26))),
    ]
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        deliveries = [d for slot in slots for d in planner.plan(store, plan_id, slot)]
    assert [d.key.kind for d in deliveries] == [LEAD_ESCALATION, MANAGEMENT_ESCALATION]
    check("escalations", "\n".join(f"To {d.key.recipient}:\n{as_text(d)}" for d in deliveries))


def test_a_short_and_a_long_reminder(planned: dict[str, list[NewDelivery]]) -> None:
    """Every owner of the example has six or more actions to look at (a menu each); the first
    three of the shortest show what an owner with a few sees (a row of buttons each)."""
    reminders = sorted(planned[OWNER_REMINDER], key=lambda d: len(d.messages[0]["blocks"]))
    check("reminder-long", as_text(reminders[-1]))
    check("reminder-short", as_text(reminders[0]))


def test_a_reminder_with_a_few_actions(
    planned: dict[str, list[NewDelivery]], open_store: StoreFactory
) -> None:
    """Up to five actions, each with a row of buttons; Complete asks to confirm (shown "…")."""
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        person = store.person_by_email(plan_id, "fen.lowe@anyborough.example")
        assert person is not None
        view = store.select(plan_id, Which(person_id=person.id, open_only=True))
    day = MONDAY.date()
    actions = sorted(view.actions.values(), key=lambda a: a.due_date or day)[-3:]
    items = [_item(action, day) for action in actions]
    message = owner_reminder(OwnerNotice(person.id, items, ["9.1", "9.2"], 7), day)
    check("reminder-few", render(message).text + "\n")


def _item(action: ActionState, day: dt.date) -> Item:
    due = action.due_date or day
    if due >= day:
        return Item(action, Why.DUE_SOON, working_days_between(day, due))
    return Item(action, Why.OVERDUE, working_days_between(due, day))
