"""What the scheduler plans to send, over the store in memory and without Slack (``directory``
is None, as in a preview): owners' reminders, escalations, the digest and the exemption report.

The plan is test_schedules.py's week: timed so that the week of Monday 1 December 2025 has
something every day. Each test plans one slot and reads the delivery records it would write.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from plan.calendar import WorkingCalendar
from plan.deliveries import PENDING, UNREACHABLE, NewDelivery
from plan.model import Rag
from plan.ports import StoreFactory
from plan.rules import Caller
from plan.service import Change, confirm_rag, import_sheet, snooze, update_rag
from schedules.config import Channels, Schedule
from schedules.planning import (
    DIGEST,
    EXEMPTION,
    LEAD_ESCALATION,
    MANAGEMENT_ESCALATION,
    OWNER_REMINDER,
    Planner,
    Slot,
)
from sheets.cells import Cell
from sheets.rows import read_sheet
from tests.conftest import PLAN_GRID
from tests.memory_store import memory_store_factory

TEAM = "default"
ALICE, BOB, CAROL = "alice@council.example", "bob@council.example", "carol@council.example"
SLACK_IDS = {ALICE: "UALICE", BOB: "UBOB", CAROL: "UCAROL"}  # Zed is not in Slack
SCHEDULE = Schedule(TEAM, Channels(digest=("CDIGEST",), governance="CGOV", management="CMGMT"))
CALENDAR = WorkingCalendar(SCHEDULE.send_time)
MONDAY, TUESDAY, WEDNESDAY = dt.date(2025, 12, 1), dt.date(2025, 12, 2), dt.date(2025, 12, 3)
ZED = "zed@nowhere.example"
HEADER: list[Cell] = PLAN_GRID[0]
IMPORTED = dt.datetime(2025, 11, 10, 12, tzinfo=dt.UTC)


def row(ref: str, owner: str, due: dt.date, rag: str, note: str = "Because") -> list[Cell]:
    title, lead = {"2": ("Management oversight", BOB), "5": ("Children Looked After", CAROL)}[ref[0]]
    return [ref, int(ref[0]), title, lead, f"Action {ref}", owner, due, rag, note]


def week_plan() -> StoreFactory:
    """2.3 last confirmed on 4 November (stale on Tuesday 2 December); the rest as on 10 November."""
    open_store = memory_store_factory()
    trackers = [
        (dt.date(2025, 11, 4), [row("2.3", BOB, dt.date(2026, 3, 31), "Green")]),
        (
            dt.date(2025, 11, 10),
            [
                row("2.3", BOB, dt.date(2026, 3, 31), "Green"),
                row("5.1", ALICE, dt.date(2025, 12, 2), "Amber"),  # 1 working day on Monday
                row("5.2", ALICE, dt.date(2025, 12, 10), "Green"),  # 7 working days on Monday
                row("5.3", ALICE, dt.date(2025, 11, 20), "Red", "Contract late"),  # 7 overdue on Monday
                row("2.1", BOB, dt.date(2025, 11, 11), "Amber"),  # 14 overdue on Monday
                row("2.2", ZED, dt.date(2025, 11, 28), "Amber"),  # not in Slack
                row("5.4", ALICE, dt.date(2025, 10, 1), "Complete", ""),
            ],
        ),
    ]
    with open_store() as store:
        for as_of, rows in trackers:
            sheet = read_sheet([HEADER, *rows])
            assert not sheet.problems, sheet.problems
            import_sheet(store, TEAM, sheet.rows, now=IMPORTED, as_of=as_of)
        plan_id = store.find_plan_id(TEAM)
        assert plan_id is not None
        for email, user_id in SLACK_IDS.items():
            store.save_person(plan_id, email.split("@")[0].capitalize(), email, user_id)
        store.commit()
    return open_store


@pytest.fixture
def open_store() -> StoreFactory:
    return week_plan()


def planned(
    open_store: StoreFactory, kind: str, day: dt.date, schedule: Schedule = SCHEDULE
) -> list[NewDelivery]:
    with open_store() as store:
        plan_id = store.find_plan_id(TEAM)
        assert plan_id is not None
        return Planner(schedule, CALENDAR, directory=None).plan(
            store, plan_id, Slot(kind, day, CALENDAR.send_at(day))
        )


def to(deliveries: list[NewDelivery], recipient: str) -> NewDelivery:
    (found,) = [d for d in deliveries if d.key.recipient == recipient]
    return found


def person_key(open_store: StoreFactory, email: str) -> str:
    with open_store() as store:
        plan_id = store.find_plan_id(TEAM)
        assert plan_id is not None
        person = store.person_by_email(plan_id, email)
    assert person is not None
    return f"person:{person.id}"


def refs(message: dict[str, Any]) -> list[str]:
    """The actions a reminder shows, each with its buttons, in order."""
    ids = [block.get("block_id", "") for block in message["blocks"]]
    return [block_id.removeprefix("reminder:") for block_id in ids if block_id.startswith("reminder:")]


def item_text(message: dict[str, Any], ref: str) -> str:
    """The section above an action's buttons on a reminder."""
    blocks = message["blocks"]
    index = next(i for i, block in enumerate(blocks) if block.get("block_id") == f"reminder:{ref}")
    return str(blocks[index - 1]["text"]["text"])


def reminder(open_store: StoreFactory, day: dt.date, email: str) -> dict[str, Any]:
    return to(planned(open_store, OWNER_REMINDER, day), person_key(open_store, email)).messages[0]


def change(open_store: StoreFactory, email: str, ref: str, now: dt.datetime) -> Change:
    with open_store() as store:
        plan_id = store.find_plan_id(TEAM)
        assert plan_id is not None
        person = store.person_by_email(plan_id, email)
    assert person is not None
    return Change(plan_id, Caller(person.id), ref, now)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


# --- owners' reminders ---------------------------------------------------------------------


def test_an_owner_hears_first_of_what_is_overdue_then_what_is_due_soonest(open_store: StoreFactory) -> None:
    assert refs(reminder(open_store, MONDAY, ALICE)) == ["5.3", "5.1", "5.2"]


def test_due_soon_says_how_many_working_days_are_left(open_store: StoreFactory) -> None:
    assert "in 1 working day" in item_text(reminder(open_store, MONDAY, ALICE), "5.1")


def test_overdue_says_how_many_working_days_late(open_store: StoreFactory) -> None:
    assert "7 working days overdue" in item_text(reminder(open_store, MONDAY, ALICE), "5.3")


def test_a_complete_action_is_never_reminded(open_store: StoreFactory) -> None:
    days = (MONDAY, TUESDAY, WEDNESDAY)
    assert "5.4" not in [ref for day in days for ref in refs(reminder(open_store, day, ALICE))]


def test_each_owner_gets_one_message_a_day(open_store: StoreFactory) -> None:
    recipients = [d.key.recipient for d in planned(open_store, OWNER_REMINDER, MONDAY)]
    assert sorted(recipients) == sorted(person_key(open_store, email) for email in (ALICE, BOB, ZED))


def test_a_reminder_goes_to_the_owners_slack_id(open_store: StoreFactory) -> None:
    alices = to(planned(open_store, OWNER_REMINDER, MONDAY), person_key(open_store, ALICE))
    assert alices.messages[0]["channel"] == "UALICE"


def test_a_reminder_to_someone_in_slack_waits_to_be_sent(open_store: StoreFactory) -> None:
    alices = to(planned(open_store, OWNER_REMINDER, MONDAY), person_key(open_store, ALICE))
    assert alices.status == PENDING


def test_an_owner_not_in_slack_is_recorded_unreachable(open_store: StoreFactory) -> None:
    zeds = to(planned(open_store, OWNER_REMINDER, MONDAY), person_key(open_store, ZED))
    assert zeds.status == UNREACHABLE


def test_a_snoozed_action_is_left_out(open_store: StoreFactory) -> None:
    with open_store() as store:
        snooze(store, change(open_store, ALICE, "5.3", at(MONDAY)), MONDAY + dt.timedelta(days=7))
    assert "5.3" not in refs(reminder(open_store, WEDNESDAY, ALICE))


def test_a_snooze_ends_on_its_date(open_store: StoreFactory) -> None:
    with open_store() as store:
        snooze(store, change(open_store, ALICE, "5.3", at(MONDAY)), WEDNESDAY)
    assert "5.3" in refs(reminder(open_store, WEDNESDAY, ALICE))


def test_a_rag_unconfirmed_for_28_days_is_asked_about(open_store: StoreFactory) -> None:
    assert "Still Green?" in item_text(reminder(open_store, TUESDAY, BOB), "2.3")


def test_a_stale_rag_is_not_asked_about_before_28_days(open_store: StoreFactory) -> None:
    assert "2.3" not in refs(reminder(open_store, MONDAY, BOB))


def test_a_stale_rag_is_asked_about_again_a_week_later(open_store: StoreFactory) -> None:
    assert "2.3" in refs(reminder(open_store, TUESDAY + dt.timedelta(days=7), BOB))


def test_confirming_a_stale_rag_stops_the_question(open_store: StoreFactory) -> None:
    with open_store() as store:
        confirm_rag(store, change(open_store, BOB, "2.3", at(TUESDAY)))
    assert "2.3" not in refs(reminder(open_store, TUESDAY + dt.timedelta(days=7), BOB))


def test_updating_the_rag_also_stops_the_question(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, BOB, "2.3", at(TUESDAY)), Rag.GREEN, "")
    assert "2.3" not in refs(reminder(open_store, TUESDAY + dt.timedelta(days=7), BOB))


# --- escalations ---------------------------------------------------------------------------


def test_seven_working_days_overdue_goes_to_the_priority_lead(open_store: StoreFactory) -> None:
    (escalation,) = planned(open_store, LEAD_ESCALATION, MONDAY)
    assert escalation.key.recipient == person_key(open_store, CAROL)


def test_the_lead_hears_which_actions_reached_seven_days(open_store: StoreFactory) -> None:
    (escalation,) = planned(open_store, LEAD_ESCALATION, MONDAY)
    assert escalation.messages[0]["text"] == "1 action now 7 working days overdue: 5.3"


def test_fourteen_working_days_overdue_goes_to_management(open_store: StoreFactory) -> None:
    (escalation,) = planned(open_store, MANAGEMENT_ESCALATION, MONDAY)
    assert escalation.key.recipient == "channel:CMGMT"


def test_management_hears_which_actions_reached_fourteen_days(open_store: StoreFactory) -> None:
    (escalation,) = planned(open_store, MANAGEMENT_ESCALATION, MONDAY)
    assert escalation.messages[0]["text"] == "1 action now 14 working days overdue: 2.1"


@pytest.mark.parametrize("kind", [LEAD_ESCALATION, MANAGEMENT_ESCALATION])
def test_an_action_is_escalated_once(open_store: StoreFactory, kind: str) -> None:
    assert planned(open_store, kind, TUESDAY) == []


def test_a_complete_action_is_not_escalated(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.3", at(MONDAY, 7)), Rag.COMPLETE, "")
    assert planned(open_store, LEAD_ESCALATION, MONDAY) == []


def test_without_a_management_channel_nothing_goes_there(open_store: StoreFactory) -> None:
    schedule = Schedule(TEAM, Channels(digest=("CDIGEST",)))
    assert planned(open_store, MANAGEMENT_ESCALATION, MONDAY, schedule) == []


# --- the weekly digest ---------------------------------------------------------------------


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


@pytest.fixture(scope="module")
def digest() -> list[dict[str, Any]]:
    """Monday's digest, after 5.2 went Red and 5.3 stopped being Red in the week before (built
    once: a digest renders its chart, the slowest part of planning)."""
    open_store = week_plan()
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.2", at(dt.date(2025, 11, 27))), Rag.RED, "Carers left")
        update_rag(store, change(open_store, ALICE, "5.3", at(dt.date(2025, 11, 28))), Rag.AMBER, "Signed")
    (delivery,) = planned(open_store, DIGEST, MONDAY)
    return list(delivery.messages)


@pytest.fixture(scope="module")
def unchanged_digest() -> list[dict[str, Any]]:
    """Monday's digest of the plan as imported: 5.3 is the one Red action due."""
    (delivery,) = planned(week_plan(), DIGEST, MONDAY)
    return list(delivery.messages)


def test_the_digest_counts_the_actions_due_by_their_rag(digest: list[dict[str, Any]]) -> None:
    # Due by Monday: 5.3 (now Amber), 2.1 and 2.2 (Amber), 5.4 (Complete, counted Green).
    assert digest[0]["text"] == "Improvement plan digest, 1 December 2025: Red 0, Amber 3, Green 1; 3 overdue"


def test_the_digest_says_what_went_red_and_what_left_red(digest: list[dict[str, Any]]) -> None:
    head = text_of(digest[0])
    assert "*Since last week:* 1 went Red; 1 left Red (5.3)." in head
    # Each action that went Red is named with its title, owner and reason.
    assert "*5.2* Action 5.2 · Alice · due 10 December 2025\\n      _Carers left_" in head


def test_the_digest_names_the_priority_with_most_red(unchanged_digest: list[dict[str, Any]]) -> None:
    assert "*Most Red:* priority 5 Children Looked After (1)" in text_of(unchanged_digest[0])


def test_the_digest_names_the_priorities_with_no_red(unchanged_digest: list[dict[str, Any]]) -> None:
    assert "*No Red:* priorities 2" in text_of(unchanged_digest[0])


def test_the_digest_attaches_its_chart_in_the_thread(digest: list[dict[str, Any]]) -> None:
    assert digest[1]["upload"]["filename"] == "rag-by-priority-2025-12-01.png"


def test_the_digest_attaches_its_lists_in_full_as_a_workbook(digest: list[dict[str, Any]]) -> None:
    assert digest[2]["upload"]["filename"] == "digest-lists-2025-12-01.xlsx"


def test_the_digest_lists_what_is_overdue(digest: list[dict[str, Any]]) -> None:
    assert digest[3]["text"] == "Overdue: 3 actions, worst first"


def test_the_digest_lists_what_is_due_in_the_next_fortnight(digest: list[dict[str, Any]]) -> None:
    assert digest[4]["text"] == "Due in the next 14 days: 2"


def test_the_digest_lists_owners_csip_cannot_reach(digest: list[dict[str, Any]]) -> None:
    assert "Zed (zed@nowhere.example)" in text_of(digest[5])


def test_a_digest_goes_to_every_digest_channel(open_store: StoreFactory) -> None:
    schedule = Schedule(TEAM, Channels(digest=("CDIGEST", "CLEADS")))
    recipients = [d.key.recipient for d in planned(open_store, DIGEST, MONDAY, schedule)]
    assert recipients == ["channel:CDIGEST", "channel:CLEADS"]


# --- the monthly exemption report ----------------------------------------------------------


def test_the_exemption_report_counts_the_reds(open_store: StoreFactory) -> None:
    (report,) = planned(open_store, EXEMPTION, MONDAY)
    assert report.messages[0]["text"] == "Exemption report, 1 December 2025: 1 action RAG rated Red"


def test_the_exemption_report_says_how_late_and_how_long_red(open_store: StoreFactory) -> None:
    (report,) = planned(open_store, EXEMPTION, MONDAY)
    # 5.3 was due on 20 November and has been Red since the tracker of 10 November: 7 working
    # days overdue on 1 December, as its escalation to the lead that day says.
    assert "7 working days overdue · Red since 10 November 2025" in text_of(report.messages[1])


def test_without_a_governance_channel_there_is_no_exemption_report(open_store: StoreFactory) -> None:
    schedule = Schedule(TEAM, Channels(digest=("CDIGEST",)))
    assert planned(open_store, EXEMPTION, MONDAY, schedule) == []
