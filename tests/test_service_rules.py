"""The use cases' rules over the store in memory: who may change what, notes, rescheduling,
reassigning, snoozing, confirming and mistyped refs. No database and no Slack: each test reads
back what the store now holds (or that it holds nothing new)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from plan.errors import InputError
from plan.model import ActionState, EventKind, Person, Rag
from plan.ports import StoreFactory, Which
from plan.rules import Caller, NoteProblem
from plan.service import Change, Refused, UnknownRef, confirm_rag, reassign, reschedule, snooze, update_rag
from plan.service import import_sheet as import_rows
from sheets.cells import Cell
from sheets.rows import read_sheet
from tests.memory_store import memory_store_factory

TEAM = "default"
NOW = dt.datetime(2017, 9, 5, 10, 30, tzinfo=dt.UTC)
TODAY = dt.date(2017, 9, 5)
ALICE, BOB, CAROL, DANA = (f"{name}@council.example" for name in ("alice", "bob", "carol", "dana"))
GRID: list[list[Cell]] = [
    ["Ref", "Priority", "Priority title", "Lead", "Action", "Owner", "Delegates", "Due date", "RAG", "Note"],
    ["2.1", 2, "Oversight", BOB, "Audit supervision records", BOB, "", "30/06/2017", "Complete", ""],
    ["5.1", 5, "Children Looked After", CAROL, "Refresh the strategy", ALICE, "", "31/07/2017", "Amber",
     "Waiting for the market position statement"],
    ["5.2", 5, "", "", "Recruit foster carers", BOB, "", "30/09/2017", "Green", ""],
    ["5.3", 5, "", "", "Return home interviews", ALICE, DANA, "31/08/2017", "Red", "Contract delayed"],
    ["5.4", 5, "", "", "Not yet rated", ALICE, "", "31/12/2017", "", ""],
]  # fmt: skip


@pytest.fixture
def open_store() -> StoreFactory:
    """Alice owns 5.1, 5.3 and 5.4 (Dana is 5.3's delegate); Bob owns 2.1 and 5.2 and leads
    priority 2; Carol leads priority 5."""
    open_store = memory_store_factory()
    sheet = read_sheet(GRID)
    assert not sheet.problems, sheet.problems
    with open_store() as store:
        import_rows(store, TEAM, sheet.rows, now=NOW - dt.timedelta(days=30))
    return open_store


def plan_id(open_store: StoreFactory) -> int:
    with open_store() as store:
        found = store.find_plan_id(TEAM)
    assert found is not None
    return found


def caller(open_store: StoreFactory, who: str) -> Caller:
    """``who``: an e-mail in the plan, "admin" (not in the plan), or "stranger" (neither)."""
    if who == "admin":
        return Caller(None, is_admin=True)
    if who == "stranger":
        return Caller(None)
    with open_store() as store:
        person = store.person_by_email(plan_id(open_store), who)
    assert person is not None, who
    return Caller(person.id)


def change(open_store: StoreFactory, who: str, ref: str) -> Change:
    return Change(plan_id(open_store), caller(open_store, who), ref, NOW)


def action(open_store: StoreFactory, ref: str) -> ActionState:
    with open_store() as store:
        return store.select(plan_id(open_store), Which(refs=frozenset({ref}))).actions[ref]


def event_count(open_store: StoreFactory) -> int:
    with open_store() as store:
        return sum(len(events) for events in store.history(plan_id(open_store)).events.values())


def person(open_store: StoreFactory, email: str) -> Person:
    with open_store() as store:
        found = store.person_by_email(plan_id(open_store), email)
    assert found is not None
    return found


# --- who may update ------------------------------------------------------------------------

# For 5.3: Alice owns it, Dana is its delegate, Carol leads its priority.
MAY_UPDATE = {"owner": ALICE, "delegate": DANA, "priority lead": CAROL, "admin": "admin"}
MAY_NOT_UPDATE = {"someone else in the plan": BOB, "a stranger": "stranger"}


@pytest.mark.parametrize("who", MAY_UPDATE.values(), ids=MAY_UPDATE.keys())
def test_these_may_update_an_action(open_store: StoreFactory, who: str) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, who, "5.3"), Rag.GREEN, "")
    assert action(open_store, "5.3").rag is Rag.GREEN


@pytest.mark.parametrize("who", MAY_NOT_UPDATE.values(), ids=MAY_NOT_UPDATE.keys())
def test_others_are_refused_an_update(open_store: StoreFactory, who: str) -> None:
    with open_store() as store, pytest.raises(Refused, match=r"Only the owner of 5\.3"):
        update_rag(store, change(open_store, who, "5.3"), Rag.GREEN, "")


@pytest.mark.parametrize("who", MAY_NOT_UPDATE.values(), ids=MAY_NOT_UPDATE.keys())
def test_a_refused_update_records_nothing(open_store: StoreFactory, who: str) -> None:
    before = event_count(open_store)
    with open_store() as store, pytest.raises(Refused):
        update_rag(store, change(open_store, who, "5.3"), Rag.GREEN, "")
    assert event_count(open_store) == before


def test_an_update_records_who_made_it(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, DANA, "5.3"), Rag.AMBER, "Interviews restarted")
        history = store.history(plan_id(open_store))
    last = history.events[action(open_store, "5.3").record.id][-1]
    assert last.actor_id == person(open_store, DANA).id


# --- who may reschedule and reassign -------------------------------------------------------

MAY_REPLAN = {"priority lead": CAROL, "admin": "admin"}
MAY_NOT_REPLAN = {"owner": ALICE, "delegate": DANA, "another lead": BOB, "a stranger": "stranger"}
NEW_DUE = dt.date(2017, 10, 31)


@pytest.mark.parametrize("who", MAY_REPLAN.values(), ids=MAY_REPLAN.keys())
def test_these_may_reschedule(open_store: StoreFactory, who: str) -> None:
    with open_store() as store:
        reschedule(store, change(open_store, who, "5.3"), NEW_DUE, "Provider start date moved")
    assert action(open_store, "5.3").due_date == NEW_DUE


@pytest.mark.parametrize("who", MAY_NOT_REPLAN.values(), ids=MAY_NOT_REPLAN.keys())
def test_others_are_refused_a_reschedule(open_store: StoreFactory, who: str) -> None:
    with open_store() as store, pytest.raises(Refused, match="Only the lead of priority 5"):
        reschedule(store, change(open_store, who, "5.3"), NEW_DUE, "Provider start date moved")


@pytest.mark.parametrize("who", MAY_NOT_REPLAN.values(), ids=MAY_NOT_REPLAN.keys())
def test_a_refused_reschedule_keeps_the_date(open_store: StoreFactory, who: str) -> None:
    with open_store() as store, pytest.raises(Refused):
        reschedule(store, change(open_store, who, "5.3"), NEW_DUE, "Provider start date moved")
    assert action(open_store, "5.3").due_date == dt.date(2017, 8, 31)


def new_owner(open_store: StoreFactory, email: str) -> Callable[[], Person]:
    return lambda: person(open_store, email)


@pytest.mark.parametrize("who", MAY_REPLAN.values(), ids=MAY_REPLAN.keys())
def test_these_may_reassign(open_store: StoreFactory, who: str) -> None:
    with open_store() as store:
        reassign(store, change(open_store, who, "5.3"), new_owner(open_store, BOB))
    assert action(open_store, "5.3").owner_id == person(open_store, BOB).id


@pytest.mark.parametrize("who", MAY_NOT_REPLAN.values(), ids=MAY_NOT_REPLAN.keys())
def test_others_are_refused_a_reassign(open_store: StoreFactory, who: str) -> None:
    with open_store() as store, pytest.raises(Refused, match="Only the lead of priority 5"):
        reassign(store, change(open_store, who, "5.3"), new_owner(open_store, BOB))


def test_a_refused_reassign_never_asks_who_the_new_owner_is(open_store: StoreFactory) -> None:
    asked: list[str] = []

    def find_owner() -> Person:
        asked.append("asked")
        return person(open_store, BOB)

    with open_store() as store, pytest.raises(Refused):
        reassign(store, change(open_store, ALICE, "5.3"), find_owner)
    assert asked == []


# --- notes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rag", [Rag.RED, Rag.AMBER])
@pytest.mark.parametrize("note", ["", "   \n "])
def test_red_and_amber_need_a_reason(open_store: StoreFactory, rag: Rag, note: str) -> None:
    with open_store() as store, pytest.raises(NoteProblem, match=f"{rag.label} needs a reason"):
        update_rag(store, change(open_store, ALICE, "5.3"), rag, note)


def test_an_update_refused_for_its_note_changes_nothing(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(NoteProblem):
        update_rag(store, change(open_store, ALICE, "5.1"), Rag.RED, "")
    assert action(open_store, "5.1").rag is Rag.AMBER


@pytest.mark.parametrize("rag", [Rag.GREEN, Rag.COMPLETE])
def test_green_and_complete_need_no_reason(open_store: StoreFactory, rag: Rag) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.3"), rag, "")
    assert action(open_store, "5.3").rag is rag


def test_an_update_without_a_note_leaves_none(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.3"), Rag.GREEN, "  ")
    assert action(open_store, "5.3").rag_note is None


def test_a_note_is_kept_without_surrounding_space(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.3"), Rag.AMBER, "  Contract signed \n")
    assert action(open_store, "5.3").rag_note == "Contract signed"


def test_a_note_of_2000_characters_is_kept(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.3"), Rag.RED, "x" * 2000)
    assert action(open_store, "5.3").rag_note == "x" * 2000


def test_a_note_of_2001_characters_is_refused(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(NoteProblem, match="the limit is 2,000"):
        update_rag(store, change(open_store, ALICE, "5.3"), Rag.RED, "x" * 2001)


# --- rescheduling --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_reschedule_needs_a_reason(open_store: StoreFactory, reason: str) -> None:
    with open_store() as store, pytest.raises(InputError, match="Say why the due date is changing"):
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE, reason)


def test_rescheduling_to_the_same_date_is_refused(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(InputError, match="already due on that date"):
        reschedule(store, change(open_store, CAROL, "5.3"), dt.date(2017, 8, 31), "No change")


def test_a_reschedule_keeps_the_original_due_date(open_store: StoreFactory) -> None:
    with open_store() as store:
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE, "Provider start date moved")
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE + dt.timedelta(days=30), "Again")
    assert action(open_store, "5.3").original_due_date == dt.date(2017, 8, 31)


def test_each_reschedule_is_counted(open_store: StoreFactory) -> None:
    with open_store() as store:
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE, "Provider start date moved")
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE + dt.timedelta(days=30), "Again")
    assert action(open_store, "5.3").times_rescheduled == 2


def test_the_history_keeps_the_reason_for_a_new_date(open_store: StoreFactory) -> None:
    with open_store() as store:
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE, "Provider start date moved")
        events = store.history(plan_id(open_store)).events[action(open_store, "5.3").record.id]
    assert [(e.kind, e.due_date, e.note) for e in events[-1:]] == [
        (EventKind.DUE, NEW_DUE, "Provider start date moved")
    ]


def test_the_plan_as_it_stood_keeps_the_old_date(open_store: StoreFactory) -> None:
    with open_store() as store:
        reschedule(store, change(open_store, CAROL, "5.3"), NEW_DUE, "Provider start date moved")
        before = store.load(plan_id(open_store), NOW - dt.timedelta(seconds=1)).actions["5.3"]
    assert before.due_date == dt.date(2017, 8, 31)


# --- reassigning ---------------------------------------------------------------------------


def test_the_new_owner_may_update_after_a_reassign(open_store: StoreFactory) -> None:
    with open_store() as store:
        reassign(store, change(open_store, CAROL, "5.3"), new_owner(open_store, BOB))
        update_rag(store, change(open_store, BOB, "5.3"), Rag.GREEN, "")
    assert action(open_store, "5.3").rag is Rag.GREEN


def test_the_old_owner_may_not_update_after_a_reassign(open_store: StoreFactory) -> None:
    with open_store() as store:
        reassign(store, change(open_store, CAROL, "5.3"), new_owner(open_store, BOB))
    with open_store() as store, pytest.raises(Refused):
        update_rag(store, change(open_store, ALICE, "5.3"), Rag.GREEN, "")


def test_reassigning_to_the_owner_is_refused(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(InputError, match="already owned by"):
        reassign(store, change(open_store, CAROL, "5.3"), new_owner(open_store, ALICE))


# --- snoozing and confirming ---------------------------------------------------------------


def test_a_snooze_holds_reminders_until_its_date(open_store: StoreFactory) -> None:
    until = TODAY + dt.timedelta(days=7)
    with open_store() as store:
        snooze(store, change(open_store, ALICE, "5.3"), until)
        on_the_day_before = store.snoozed(plan_id(open_store), until - dt.timedelta(days=1))
        on_the_day = store.snoozed(plan_id(open_store), until)
    assert on_the_day_before == {action(open_store, "5.3").record.id}
    assert on_the_day == set()


@pytest.mark.parametrize("who", MAY_NOT_UPDATE.values(), ids=MAY_NOT_UPDATE.keys())
def test_only_those_who_may_update_may_snooze(open_store: StoreFactory, who: str) -> None:
    with open_store() as store, pytest.raises(Refused):
        snooze(store, change(open_store, who, "5.3"), TODAY + dt.timedelta(days=7))


def test_confirming_keeps_the_rag(open_store: StoreFactory) -> None:
    with open_store() as store:
        confirm_rag(store, change(open_store, ALICE, "5.3"))
    assert action(open_store, "5.3").rag is Rag.RED


def test_confirming_keeps_the_reason(open_store: StoreFactory) -> None:
    with open_store() as store:
        confirm_rag(store, change(open_store, ALICE, "5.3"))
    assert action(open_store, "5.3").rag_note == "Contract delayed"


def test_confirming_makes_the_rag_current_again(open_store: StoreFactory) -> None:
    with open_store() as store:
        confirm_rag(store, change(open_store, ALICE, "5.3"))
    assert action(open_store, "5.3").rag_confirmed_at == NOW


def test_confirming_does_not_restart_how_long_it_has_had_its_rag(open_store: StoreFactory) -> None:
    since = action(open_store, "5.3").rag_since
    with open_store() as store:
        confirm_rag(store, change(open_store, ALICE, "5.3"))
    assert action(open_store, "5.3").rag_since == since


def test_an_action_with_no_rag_cannot_be_confirmed(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(InputError, match=r"5\.4 has no RAG yet"):
        confirm_rag(store, change(open_store, ALICE, "5.4"))


# --- refs ----------------------------------------------------------------------------------


def test_an_unknown_ref_suggests_the_nearest(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(UnknownRef) as refused:
        update_rag(store, change(open_store, ALICE, "5.33"), Rag.GREEN, "")
    assert refused.value.suggestions[0] == "5.3"


def test_an_unknown_ref_is_named_in_the_message(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(UnknownRef, match=r"There is no action 5\.33\. Did you mean"):
        update_rag(store, change(open_store, ALICE, "5.33"), Rag.GREEN, "")


def test_a_ref_like_none_suggests_nothing(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(UnknownRef) as refused:
        update_rag(store, change(open_store, ALICE, "99.99"), Rag.GREEN, "")
    assert refused.value.suggestions == []


def test_a_ref_with_a_full_stop_is_forgiven(open_store: StoreFactory) -> None:
    with open_store() as store:
        update_rag(store, change(open_store, ALICE, "5.3."), Rag.GREEN, "")
    assert action(open_store, "5.3").rag is Rag.GREEN


def test_what_is_not_a_ref_is_explained(open_store: StoreFactory) -> None:
    with open_store() as store, pytest.raises(InputError, match="is not an action reference"):
        update_rag(store, change(open_store, ALICE, "five"), Rag.GREEN, "")
