"""One contract, every store: the store in memory, SQLite and (when configured) PostgreSQL give
the same answers to plans, people, snoozes, deliveries and the unit of work.

The scheduler's reads of actions are held to the same answers in ``test_scheduled_reads.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plan.deliveries import PENDING, PLANNED, SKIPPED, UNREACHABLE, DeliveryKey, NewDelivery
from plan.figures import count_plan, tally
from plan.model import Event, EventKind, Rag, Source
from plan.ports import PlanStore, StoreFactory, Which
from plan.service import import_sheet
from plan.workspaces import WorkspaceSettings
from sheets.cells import Cell
from sheets.rows import read_sheet
from tests.conftest import Databases
from tests.stores import STORES, fresh_store

NOW = dt.datetime(2017, 9, 5, 10, 30, tzinfo=dt.UTC)
DAY = dt.date(2017, 9, 5)
LEASE = dt.timedelta(minutes=10)
BATCH = 10
GRID: list[list[Cell]] = [
    ["Ref", "Priority", "Priority title", "Lead", "Action", "Owner", "Delegates", "Due date", "RAG", "Note"],
    ["2.1", 2, "Oversight", "bob@council.example", "Audit", "bob@council.example", "", "30/06/2017",
     "Complete", ""],
    ["5.1", 5, "Children Looked After", "carol@council.example", "Refresh the strategy",
     "alice@council.example", "", "31/07/2017", "Amber", "Waiting"],
    ["5.2", 5, "", "", "Recruit foster carers", "bob@council.example", "alice@council.example",
     "30/09/2017", "Green", ""],
    ["5.3", 5, "", "", "Return home interviews", "zed@council.example", "", "31/08/2017", "Red", "Late"],
]  # fmt: skip


@pytest.fixture(params=STORES)
def open_store(
    request: pytest.FixtureRequest, tmp_path: Path, databases: Databases
) -> Iterator[StoreFactory]:
    with fresh_store(request.param, databases) as fresh:
        yield fresh


def imported(open_store: StoreFactory, grid: list[list[Cell]] = GRID, team: str = "T1") -> int:
    sheet = read_sheet(grid)
    assert not sheet.problems, sheet.problems
    with open_store() as store:
        import_sheet(store, team, sheet.rows, now=NOW - dt.timedelta(days=30))
        plan_id = store.find_plan_id(team)
    assert plan_id is not None
    return plan_id


def person_id(store: PlanStore, plan_id: int, email: str) -> int:
    person = store.person_by_email(plan_id, email)
    assert person is not None, email
    return person.id


# --- plans ---------------------------------------------------------------------------------


def test_finding_a_plan_never_creates_one(open_store: StoreFactory) -> None:
    with open_store() as store:
        assert store.find_plan_id("T1") is None
        store.commit()
    with open_store() as store:
        assert store.find_plan_id("T1") is None


def test_a_workspace_has_one_plan_created_by_the_explicit_call(open_store: StoreFactory) -> None:
    with open_store() as store:
        created = store.find_or_create_plan("T1")
        assert store.find_or_create_plan("T1") == created
    with open_store() as store:  # committed by the creating call itself
        assert store.find_plan_id("T1") == created


def test_each_workspace_has_its_own_plan(open_store: StoreFactory) -> None:
    with open_store() as store:
        first, second = store.find_or_create_plan("T1"), store.find_or_create_plan("T2")
    assert first != second


# --- the unit of work ----------------------------------------------------------------------


def test_plan_teams_are_every_plans_workspace_in_the_order_made(open_store: StoreFactory) -> None:
    imported(open_store, team="T2")
    imported(open_store, team="T1")
    with open_store() as store:
        assert store.plan_teams() == ["T2", "T1"]


def test_a_workspace_with_no_settings_has_them_all_unset(open_store: StoreFactory) -> None:
    with open_store() as store:
        assert store.workspace_settings("T9") == WorkspaceSettings("T9")


def test_workspace_settings_are_kept_per_workspace(open_store: StoreFactory) -> None:
    ours = WorkspaceSettings("T1", ("C1", "C2"), "CGOV", None, "CRED", frozenset({"U1", "U2"}))
    with open_store() as store:
        assert store.change_workspace_settings("T1", lambda _: ours, NOW) == ours
        store.change_workspace_settings("T2", lambda s: replace(s, admins=frozenset({"U9"})), NOW)
        store.commit()
    with open_store() as store:
        assert store.workspace_settings("T1") == ours
        assert store.workspace_settings("T2") == WorkspaceSettings("T2", admins=frozenset({"U9"}))


def test_a_change_applies_to_the_settings_as_they_stand(open_store: StoreFactory) -> None:
    with open_store() as store:
        store.change_workspace_settings("T1", lambda s: replace(s, governance_channel="CGOV"), NOW)
        store.commit()
    with open_store() as store:
        changed = store.change_workspace_settings("T1", lambda s: replace(s, digest_channels=("CD",)), NOW)
        store.commit()
    assert changed == WorkspaceSettings("T1", ("CD",), "CGOV")
    with open_store() as store:
        assert store.workspace_settings("T1") == changed


def test_workspace_settings_land_only_on_commit(open_store: StoreFactory) -> None:
    with open_store() as store:
        store.change_workspace_settings("T1", lambda s: replace(s, digest_channels=("C1",)), NOW)
    with open_store() as store:
        assert store.workspace_settings("T1") == WorkspaceSettings("T1")


def test_a_store_closed_without_a_commit_leaves_nothing(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        store.ensure_people(plan_id, ["new@council.example"])
        action = store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"]
        store.add_snooze(plan_id, action.record.id, None, DAY + dt.timedelta(days=7), NOW)
    with open_store() as store:
        assert store.person_by_email(plan_id, "new@council.example") is None
        assert store.snoozed(plan_id, DAY) == set()


def test_changes_are_seen_by_other_stores_only_once_committed(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as writer:
        writer.save_person(plan_id, "Nia New", "nia@council.example", "UNIA")
        with open_store() as reader:
            assert reader.person_by_slack_id(plan_id, "UNIA") is None
        writer.commit()
    with open_store() as reader:
        assert reader.person_by_slack_id(plan_id, "UNIA") is not None


def test_changes_after_a_commit_wait_for_the_next(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as writer:
        writer.save_person(plan_id, "Nia New", "nia@council.example", "UNIA")
        writer.commit()
        writer.save_person(plan_id, "Olu Other", "olu@council.example", "UOLU")
        with open_store() as reader:
            assert reader.person_by_slack_id(plan_id, "UOLU") is None


def test_events_and_their_states_land_together(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        before = store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"]
    with open_store() as store:
        store.add_events(plan_id, [_rag_event(before.record.id, Rag.GREEN)])
        assert store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"].rag is Rag.GREEN
    with open_store() as store:  # not committed: neither the event nor the state it folds to
        assert store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"] == before
        assert len(store.history(plan_id).events[before.record.id]) == 2


def _rag_event(action_id: int, rag: Rag) -> Event:
    return Event(action_id, EventKind.RAG, NOW, NOW, Source.CLI, rag=rag)


# --- actions -------------------------------------------------------------------------------


def test_a_persons_actions_are_those_owned_and_delegated(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        alice = person_id(store, plan_id, "alice@council.example")
        assert set(store.select(plan_id, Which(person_id=alice)).actions) == {"5.1", "5.2"}


def test_the_history_starts_at_its_earliest_event(open_store: StoreFactory) -> None:
    with open_store() as store:
        assert store.history_starts(store.find_or_create_plan("T1")) is None
    plan_id = imported(open_store)
    with open_store() as store:
        assert store.history_starts(plan_id) == NOW - dt.timedelta(days=30)


def test_not_rag_picks_every_other_rag_and_the_unrated(open_store: StoreFactory) -> None:
    unrated: list[Cell] = ["5.4", 5, "", "", "Unrated", "bob@council.example", "", "31/07/2017", "", ""]
    grid = [*GRID, unrated]
    plan_id = imported(open_store, grid)
    with open_store() as store:
        not_green = store.shortlist(plan_id, Which(overdue_on=DAY, not_rag=Rag.GREEN), 10)
    assert [a.ref for a in not_green.actions] == ["5.3", "5.1", "5.4"]  # Red, Amber, unrated
    assert not_green.total == 3


def test_a_view_names_the_people_its_actions_and_priorities_name(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        view = store.select(plan_id, Which(refs=frozenset({"5.3"})))
    assert {p.email for p in view.people.values()} == {
        "zed@council.example",  # the owner
        "bob@council.example",  # a lead
        "carol@council.example",  # a lead
    }


def test_the_plan_as_it_stood_leaves_out_what_came_later(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        assert store.load(plan_id, NOW - dt.timedelta(days=31)).actions == {}


def test_counts_are_the_plain_counts_of_the_plan(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        actions = list(store.load(plan_id).actions.values())
        counted = {key: n for key, n in store.tally(plan_id, DAY).items() if n}
        assert counted == tally(actions, DAY)
        assert store.counts(plan_id, DAY) == count_plan(actions, DAY)


def test_a_priority_is_counted_alone(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        counted = sum(store.tally(plan_id, DAY, priority=5).values())
    assert counted == 3


def test_refs_are_every_actions(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        assert sorted(store.refs(plan_id)) == ["2.1", "5.1", "5.2", "5.3"]


def test_the_history_holds_every_event_in_order(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        action = store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"]
        store.add_events(plan_id, [_rag_event(action.record.id, Rag.AMBER)])
        store.commit()
        history = store.history(plan_id)
    kinds = [event.kind for event in history.events[action.record.id]]
    assert kinds == [EventKind.CREATED, EventKind.RAG, EventKind.RAG]


# --- people --------------------------------------------------------------------------------


def test_ensuring_people_adds_only_the_unknown(open_store: StoreFactory) -> None:
    with open_store() as store:
        plan_id = store.find_or_create_plan("T1")
        first = store.ensure_people(plan_id, ["jo.bloggs@council.example", "UJO"])
        again = store.ensure_people(plan_id, ["jo.bloggs@council.example", "UJO", "al@council.example"])
    assert {key: again[key] for key in first} == first


def test_people_added_by_email_are_named_from_it(open_store: StoreFactory) -> None:
    with open_store() as store:
        plan_id = store.find_or_create_plan("T1")
        ids = store.ensure_people(plan_id, ["jo.bloggs@council.example"])
        store.commit()
    with open_store() as store:
        person = store.people(plan_id, ids.values())[ids["jo.bloggs@council.example"]]
    assert person.name == "Jo Bloggs"


def test_a_person_is_found_by_email_in_any_case_and_by_slack_id(open_store: StoreFactory) -> None:
    with open_store() as store:
        plan_id = store.find_or_create_plan("T1")
        saved = store.save_person(plan_id, "Jo Bloggs", "Jo@Council.example", "UJO")
        store.commit()
        assert store.person_by_email(plan_id, "JO@council.EXAMPLE") == saved
        assert store.person_by_slack_id(plan_id, "UJO") == saved


def test_saving_a_known_email_fills_in_the_slack_id(open_store: StoreFactory) -> None:
    with open_store() as store:
        plan_id = store.find_or_create_plan("T1")
        ids = store.ensure_people(plan_id, ["jo.bloggs@council.example"])
        saved = store.save_person(plan_id, "Josephine Bloggs", "jo.bloggs@council.example", "UJO")
        store.commit()
    assert saved.id == ids["jo.bloggs@council.example"]
    assert saved.slack_user_id == "UJO"
    assert saved.name == "Josephine Bloggs"


def test_people_of_another_plan_are_not_found(open_store: StoreFactory) -> None:
    with open_store() as store:
        mine, theirs = store.find_or_create_plan("T1"), store.find_or_create_plan("T2")
        store.save_person(theirs, "Jo Bloggs", "jo@council.example", "UJO")
        store.commit()
        assert store.person_by_slack_id(mine, "UJO") is None


def test_owners_not_in_slack_are_those_of_open_actions_without_an_id(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        store.save_person(plan_id, "Alice", "alice@council.example", "UALICE")
        store.commit()
        missing = store.owners_not_in_slack(plan_id)
    # Bob owns 2.1 (complete) and 5.2 (open); Alice is in Slack; Zed owns 5.3.
    assert sorted(p.email or "" for p in missing) == ["bob@council.example", "zed@council.example"]


# --- snoozes -------------------------------------------------------------------------------


def test_a_snooze_lasts_until_its_date(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    with open_store() as store:
        action = store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"]
        store.add_snooze(plan_id, action.record.id, None, DAY + dt.timedelta(days=7), NOW)
        store.commit()
        snoozed = [store.snoozed(plan_id, DAY + dt.timedelta(days=n)) for n in (0, 6, 7)]
    assert snoozed == [{action.record.id}, {action.record.id}, set()]


def test_a_snooze_belongs_to_its_plan(open_store: StoreFactory) -> None:
    plan_id = imported(open_store)
    other = imported(open_store, team="T2")
    with open_store() as store:
        action = store.select(plan_id, Which(refs=frozenset({"5.3"}))).actions["5.3"]
        store.add_snooze(plan_id, action.record.id, None, DAY + dt.timedelta(days=7), NOW)
        store.commit()
        assert store.snoozed(other, DAY) == set()


# --- deliveries ----------------------------------------------------------------------------


def key(recipient: str, day: dt.date = DAY, kind: str = "owner_reminder") -> DeliveryKey:
    return DeliveryKey(kind, recipient, "", day)


def message(text: str) -> dict[str, object]:
    return {"channel": "U1", "text": text, "blocks": []}


@pytest.fixture
def plan_id(open_store: StoreFactory) -> int:
    with open_store() as store:
        return store.find_or_create_plan("T1")


def test_adding_a_delivery_twice_keeps_the_first(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("first")])], NOW)
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("second")])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
    assert claimed.messages == [message("first")]


def test_existing_names_the_keys_on_the_days_asked(open_store: StoreFactory, plan_id: int) -> None:
    marker = key("", kind="planned:digest")
    later = key("person:1", DAY + dt.timedelta(days=1))
    with open_store() as store:
        store.deliveries.add(
            plan_id,
            [NewDelivery(key("person:1"), []), NewDelivery(marker, [], PLANNED), NewDelivery(later, [])],
            NOW,
        )
        assert store.deliveries.existing(plan_id, [DAY]) == {key("person:1"), marker}


def test_deliveries_land_without_a_commit(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
    with open_store() as store:
        assert store.deliveries.existing(plan_id, [DAY]) == {key("person:1")}


def test_a_delivery_is_claimed_once(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key(f"person:{n}"), []) for n in range(3)], NOW)
    with open_store() as first, open_store() as second:
        taken = first.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        again = second.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
    assert len(taken) == 3
    assert again == []


def test_claims_come_in_the_order_added(open_store: StoreFactory, plan_id: int) -> None:
    recipients = ["person:9", "person:1", "channel:C1"]
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key(r), []) for r in recipients], NOW)
        claimed = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
    assert [d.key.recipient for d in claimed] == recipients


@pytest.mark.parametrize("status", [SKIPPED, UNREACHABLE, PLANNED])
def test_a_delivery_not_to_send_is_never_claimed(open_store: StoreFactory, plan_id: int, status: str) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [], status)], NOW)
        assert store.deliveries.claim(plan_id, NOW + 2 * LEASE, LEASE, BATCH, NOW + 2 * LEASE) == []


def test_a_claim_lapses_after_its_lease(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        before, later = NOW + LEASE - dt.timedelta(minutes=1), NOW + LEASE + dt.timedelta(minutes=1)
        within = store.deliveries.claim(plan_id, before, LEASE, BATCH, before)
        after = store.deliveries.claim(plan_id, later, LEASE, BATCH, later)
    assert within == []
    assert [d.key for d in after] == [key("person:1")]


def test_progress_is_kept_for_the_next_claim(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a"), message("b")])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.part_sent(claimed, 1, "D1", "111.1")
    with open_store() as store:
        (again,) = store.deliveries.claim(plan_id, NOW + 2 * LEASE, LEASE, BATCH, NOW + 2 * LEASE)
    assert again.parts_sent == 1
    assert (again.channel, again.slack_ts) == ("D1", "111.1")  # where the message went


def test_a_part_without_a_timestamp_keeps_the_first_ones(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a"), message("b")])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.part_sent(claimed, 1, "D1", "111.1")
        store.deliveries.part_sent(claimed, 2, "D1", None)  # a file in the thread has no ts
        found = store.deliveries.find_by_message("D1", "111.1")
    assert found is not None
    assert found.parts_sent == 2


def test_a_delivered_message_is_not_claimed_again(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.delivered(claimed, NOW)
        assert store.deliveries.claim(plan_id, NOW + 2 * LEASE, LEASE, BATCH, NOW + 2 * LEASE) == []


def test_a_delivery_given_up_is_not_claimed_again(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.give_up(claimed, "channel_not_found")
        assert store.deliveries.claim(plan_id, NOW + 2 * LEASE, LEASE, BATCH, NOW + 2 * LEASE) == []


def test_a_retry_is_claimed_by_the_next_tick_with_the_attempt_counted(
    open_store: StoreFactory, plan_id: int
) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.retry_later(claimed, "ratelimited")
        next_tick = NOW + dt.timedelta(minutes=1)
        (again,) = store.deliveries.claim(plan_id, next_tick, LEASE, BATCH, next_tick)
    assert again.id == claimed.id
    assert again.attempts == 1


def test_a_claim_takes_a_batch_and_the_next_claim_the_next(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key(f"person:{n}"), []) for n in range(25)], NOW)
        batches = [store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW) for _ in range(4)]
    assert [len(batch) for batch in batches] == [10, 10, 5, 0]
    assert [d.key.recipient for d in batches[2]] == [f"person:{n}" for n in range(20, 25)]


def test_a_tick_does_not_claim_again_what_it_put_back(open_store: StoreFactory, plan_id: int) -> None:
    """A retry waits for the next tick: within one, a failing send is not tried over and over."""
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.retry_later(claimed, "ratelimited")
        later_in_the_tick = NOW + dt.timedelta(seconds=30)
        assert store.deliveries.claim(plan_id, later_in_the_tick, LEASE, BATCH, NOW) == []
        next_tick = NOW + dt.timedelta(minutes=5)
        assert len(store.deliveries.claim(plan_id, next_tick, LEASE, BATCH, next_tick)) == 1


def test_posting_renews_the_claim(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        assert store.deliveries.posting(claimed, NOW + LEASE - dt.timedelta(minutes=1))
        just_after_the_first_lease = NOW + LEASE + dt.timedelta(minutes=1)
        assert store.deliveries.claim(plan_id, just_after_the_first_lease, LEASE, BATCH, NOW) == []


def test_a_sender_whose_claim_was_taken_over_may_not_post(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [])], NOW)
        (stalled,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        later = NOW + 2 * LEASE
        (taken_over,) = store.deliveries.claim(plan_id, later, LEASE, BATCH, later)
        assert not store.deliveries.posting(stalled, later)
        assert store.deliveries.posting(taken_over, later)


def test_a_sender_whose_claim_was_taken_over_changes_nothing(open_store: StoreFactory, plan_id: int) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a"), message("b")])], NOW)
        (stalled,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        later = NOW + 2 * LEASE
        (taken_over,) = store.deliveries.claim(plan_id, later, LEASE, BATCH, later)
        assert store.deliveries.posting(taken_over, later)
        assert not store.deliveries.part_sent(stalled, 1, "D1", "111.1")
        assert not store.deliveries.retry_later(stalled, "timeout")
        assert not store.deliveries.give_up(stalled, "channel_not_found")
        assert not store.deliveries.delivered(stalled, later)
        assert store.deliveries.part_sent(taken_over, 1, "D9", "999.9")
        assert store.deliveries.delivered(taken_over, later)
        found = store.deliveries.find_by_message("D9", "999.9")
    assert found is not None
    assert found.parts_sent == 1


def test_unsure_since_is_kept_as_the_utc_instant(open_store: StoreFactory, plan_id: int) -> None:
    """A time given in London's summer (as `csip run-due --now` gives it) is the same instant."""
    summer = dt.datetime(2025, 7, 1, 9, 5, tzinfo=ZoneInfo("Europe/London"))
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a")])], summer)
        (claimed,) = store.deliveries.claim(plan_id, summer, LEASE, BATCH, summer)
        store.deliveries.posting(claimed, summer)
        store.deliveries.retry_later(claimed, "unknown: TimeoutError", unsure=True)
        later = summer + LEASE
        (again,) = store.deliveries.claim(plan_id, later, LEASE, BATCH, later)
    assert again.unsure_since == summer
    assert again.unsure_since is not None and again.unsure_since.utcoffset() == dt.timedelta(0)


def test_an_unsure_post_is_remembered_until_its_fate_is_known(open_store: StoreFactory, plan_id: int) -> None:
    """Marked before each post, kept through a timeout's retry, cleared once the part is sent."""
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a"), message("b")])], NOW)
        (first,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        assert first.unsure_since is None
        store.deliveries.posting(first, NOW)
        store.deliveries.retry_later(first, "unknown: TimeoutError", unsure=True)
        later = NOW + dt.timedelta(minutes=5)
        (second,) = store.deliveries.claim(plan_id, later, LEASE, BATCH, later)
        store.deliveries.posting(second, later)
        store.deliveries.part_sent(second, 1, "D1", "111.1")
        store.deliveries.retry_later(second, "ratelimited")
        latest = NOW + dt.timedelta(minutes=10)
        (third,) = store.deliveries.claim(plan_id, latest, LEASE, BATCH, latest)
    assert second.unsure_since == NOW  # the first try's time: the look starts there
    assert third.unsure_since is None
    assert third.parts_sent == 1


def test_a_process_killed_while_posting_leaves_the_delivery_unsure(
    open_store: StoreFactory, plan_id: int
) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a")])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.posting(claimed, NOW)
    later = NOW + 2 * LEASE  # the process died: nothing more was written
    with open_store() as store:
        (again,) = store.deliveries.claim(plan_id, later, LEASE, BATCH, later)
    assert again.unsure_since == NOW


def test_a_reminder_is_found_by_its_message_and_its_messages_replaced(
    open_store: StoreFactory, plan_id: int
) -> None:
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [message("a"), message("b")])], NOW)
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
        store.deliveries.part_sent(claimed, 1, "D1", "111.1")
        store.deliveries.replace_messages(claimed.id, [message("a, marked"), message("b")])
    with open_store() as store:
        found = store.deliveries.find_by_message("D1", "111.1")
        assert store.deliveries.find_by_message("D1", "222.2") is None
    assert found is not None
    assert [m["text"] for m in found.messages] == ["a, marked", "b"]


def test_a_pending_delivery_keeps_its_messages_as_given(open_store: StoreFactory, plan_id: int) -> None:
    payload = {"channel": "U1", "text": "Hi", "blocks": [{"type": "section", "text": {"type": "mrkdwn"}}]}
    with open_store() as store:
        store.deliveries.add(plan_id, [NewDelivery(key("person:1"), [payload], PENDING)], NOW)
        payload["text"] = "changed after adding"
        (claimed,) = store.deliveries.claim(plan_id, NOW, LEASE, BATCH, NOW)
    assert claimed.messages[0]["text"] == "Hi"
