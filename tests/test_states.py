"""The states kept beside the history: what they hold, that they follow the history on every
write, that the check of that (tests/states_check.py) catches kept states, counts and reads that
do not, that the migration fills them in, and that reading them costs the same at any size."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from alembic import command
from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Result,
    Row,
    delete,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session

from bot.work import Background
from csip.settings import Settings
from plan.figures import Due, Tally
from plan.history import ActionFold, versions
from plan.model import Event, EventKind, PlanView, Rag, Source
from plan.service import existing_plan
from storage import states
from storage.database import alembic_config, connect
from storage.store import SqlPlanStore, store_factory
from storage.store import SqlStoreFactory as StoreFactory
from storage.tables import BY_DAY, BY_MONTH, ActionRow, PlanRow, StateRow
from tests.conftest import (
    ALICE,
    IMPORT_AUGUST,
    IMPORT_SEPTEMBER,
    PLAN_GRID,
    Seed,
    load_grid,
    run_csip,
    serving,
)
from tests.slack_standin import SlackStandIn
from tests.states_check import COUNTS, STATES, assert_reads_follow_history, assert_states_follow_history
from tests.test_scheduled_reads import varied_plan

T0 = dt.datetime(2017, 8, 1, 9, 0, tzinfo=dt.UTC)


def happened(kind: EventKind, at: dt.datetime, **fields: Any) -> Event:
    return Event(action_id=1, kind=kind, effective_at=at, recorded_at=at, source=Source.IMPORT, **fields)


def test_events_at_one_instant_make_one_version() -> None:
    made = versions(
        [
            happened(EventKind.CREATED, T0, owner_id=7, due_date=dt.date(2017, 9, 30)),
            happened(EventKind.RAG, T0, rag=Rag.AMBER, note="Late"),
            happened(EventKind.RAG, T0 + dt.timedelta(days=1), rag=Rag.RED, note="Later"),
        ]
    )
    assert [version.valid_from for version in made] == [T0, T0 + dt.timedelta(days=1)]
    assert made[0].fold.rag is Rag.AMBER
    assert made[0].fold.owner_id == 7
    assert made[1].fold.rag is Rag.RED
    assert made[1].fold.rag_since == T0 + dt.timedelta(days=1)


def test_folding_on_from_a_kept_state_equals_folding_from_the_start() -> None:
    first = [happened(EventKind.CREATED, T0, owner_id=7, due_date=dt.date(2017, 9, 30))]
    later = [happened(EventKind.DUE, T0 + dt.timedelta(days=2), due_date=dt.date(2017, 10, 31))]
    kept = versions(first)[-1].fold
    assert versions(later, kept)[-1].fold == versions(first + later)[-1].fold
    due = dt.date(2017, 9, 30)
    assert kept == ActionFold(owner_id=7, due_date=due, original_due_date=due, last_update_at=T0)


def test_a_tracker_backfilled_before_the_latest_rewrites_the_states(open_store: StoreFactory) -> None:
    load_grid(open_store, PLAN_GRID, as_of=dt.date(2017, 8, 31))
    earlier = [row[:] for row in PLAN_GRID]
    earlier[4][7] = "Green"  # 5.3 was Green in July
    load_grid(open_store, earlier, as_of=dt.date(2017, 7, 31))
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        july = store.load(plan_id, dt.datetime(2017, 7, 31, 23, tzinfo=dt.UTC)).actions["5.3"]
        now = store.load(plan_id).actions["5.3"]
    assert (july.rag, now.rag) == (Rag.GREEN, Rag.RED)
    assert now.rag_since == dt.datetime(2017, 8, 30, 23, tzinfo=dt.UTC)  # Red from 31 August, London


def mend(open_store: StoreFactory) -> None:
    """Rewrite every state and count of the plan from its history."""
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        every = [action.record.id for action in store.history(plan_id).at().actions.values()]
        states.rebuild(store.session, plan_id, every)
        states.recount(store.session, plan_id)
        store.commit()


def test_the_check_fails_when_a_state_is_wrong_and_rebuilding_mends_it(
    engine: Engine, small_plan: StoreFactory
) -> None:
    with engine.begin() as connection:
        connection.execute(update(StateRow).where(StateRow.valid_until.is_(None)).values(rag="green"))
    with pytest.raises(AssertionError, match="kept versions differ from the fold of its history"):
        assert_states_follow_history(engine)
    mend(small_plan)
    assert_states_follow_history(engine)


@pytest.fixture
def july_then_august(open_store: StoreFactory) -> StoreFactory:
    """The plan as at July, when 5.3 was Green, then as at August, when it is Red: 5.3 has a
    version that ended and a current one."""
    july = [row[:] for row in PLAN_GRID]
    july[4][7] = "Green"
    load_grid(open_store, july, as_of=dt.date(2017, 7, 31))
    load_grid(open_store, PLAN_GRID, as_of=dt.date(2017, 8, 31))
    return open_store


def versions_of(connection: Connection, ref: str) -> list[Row[Any]]:
    action = select(ActionRow.id).where(ActionRow.ref == ref).scalar_subquery()
    return list(
        connection.execute(select(STATES).where(STATES.c.action_id == action).order_by(STATES.c.valid_from))
    )


HOUR = dt.timedelta(hours=1)
TAMPERINGS: dict[str, Callable[[list[Row[Any]]], Executable]] = {  # one of 5.3's versions, changed
    "the RAG of a version that ended": lambda rows: (
        update(STATES).where(STATES.c.id == rows[0].id).values(rag="amber")
    ),
    "the end of a version": lambda rows: (
        update(STATES).where(STATES.c.id == rows[0].id).values(valid_until=rows[0].valid_until + HOUR)
    ),
    "the start of the current version": lambda rows: (
        update(STATES).where(STATES.c.id == rows[1].id).values(valid_from=rows[1].valid_from + HOUR)
    ),
    "the due date of the current version": lambda rows: (
        update(STATES).where(STATES.c.id == rows[1].id).values(due_date=dt.date(2017, 9, 1))
    ),
    "the London day of a confirmation": lambda rows: (
        update(STATES).where(STATES.c.id == rows[1].id).values(rag_confirmed_on=dt.date(2017, 8, 30))
    ),
    "the last event folded in": lambda rows: (
        update(STATES).where(STATES.c.id == rows[1].id).values(event_id=(rows[1].event_id or 0) + 1)
    ),
    "a version deleted": lambda rows: delete(STATES).where(STATES.c.id == rows[0].id),
    "a version too many": lambda rows: insert(STATES).values(
        {
            **{name: value for name, value in rows[0]._asdict().items() if name != "id"},
            "valid_from": rows[0].valid_from - HOUR,
            "valid_until": rows[0].valid_from,
        }
    ),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_the_check_catches_a_kept_version_that_disagrees_with_the_history(
    engine: Engine, july_then_august: StoreFactory, tampering: str
) -> None:
    with engine.begin() as connection:
        rows = versions_of(connection, "5.3")
        assert [row.rag for row in rows] == ["green", "red"]  # one version ended, one current
        connection.execute(TAMPERINGS[tampering](rows))
    with pytest.raises(AssertionError, match=r"kept versions differ .*'5\.3'"):
        assert_states_follow_history(engine)
    mend(july_then_august)
    assert_states_follow_history(engine)


COUNT_TAMPERINGS: dict[str, Executable] = {
    "a count one too many": (
        update(COUNTS)
        .where(COUNTS.c.span == BY_DAY, COUNTS.c.rag == "red")
        .values(actions=COUNTS.c.actions + 1)
    ),
    "a month's count under another month": (
        update(COUNTS)
        .where(COUNTS.c.span == BY_MONTH, COUNTS.c.rag == "red")
        .values(due_date=dt.date(2017, 6, 1))
    ),
    "a count for nothing": (
        insert(COUNTS).values(
            plan_id=select(PlanRow.id).scalar_subquery(),
            span=BY_DAY,
            due_date=dt.date(2017, 12, 1),
            rag="green",
            actions=1,
        )
    ),
    "a count lost": delete(COUNTS).where(COUNTS.c.rag == "amber"),
}


@pytest.mark.parametrize("tampering", COUNT_TAMPERINGS)
def test_the_check_catches_a_wrong_count(engine: Engine, small_plan: StoreFactory, tampering: str) -> None:
    with engine.begin() as connection:
        connection.execute(COUNT_TAMPERINGS[tampering])
    with pytest.raises(AssertionError, match="kept counts"):
        assert_states_follow_history(engine)
    mend(small_plan)
    assert_states_follow_history(engine)


def test_the_check_reads_the_plan_and_its_counts_as_the_commands_do(
    engine: Engine, small_plan: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept rows that are right are not enough: what the store makes of them is checked too."""
    load, tally = SqlPlanStore.load, SqlPlanStore.tally

    def one_action_short(store: SqlPlanStore, plan_id: int, as_at: dt.datetime | None = None) -> PlanView:
        view = load(store, plan_id, as_at)
        return replace(view, actions={ref: a for ref, a in view.actions.items() if ref != "5.3"})

    def one_more_red(store: SqlPlanStore, plan_id: int, on: dt.date) -> Tally:
        return Counter(tally(store, plan_id, on)) + Counter({(Rag.RED, Due.LATER): 1})

    with monkeypatch.context() as patched:
        patched.setattr(SqlPlanStore, "load", one_action_short)
        with pytest.raises(AssertionError, match="as it stands, loaded"):
            assert_states_follow_history(engine)
    with monkeypatch.context() as patched:
        patched.setattr(SqlPlanStore, "tally", one_more_red)
        with pytest.raises(AssertionError, match="counts on 2017-09-05"):
            assert_states_follow_history(engine)
    assert_states_follow_history(engine)


def test_every_read_of_a_backfilled_plan_follows_its_history(
    engine: Engine, july_then_august: StoreFactory
) -> None:
    load_grid(july_then_august, PLAN_GRID, as_of=dt.date(2017, 6, 30))  # before both: rewrites
    assert_reads_follow_history(engine)


def test_every_read_of_the_example_trackers_follows_their_history(
    database_url: str, engine: Engine, seed: Seed
) -> None:
    """The plan loaded as at every instant and counted on every due day, over 306 actions."""
    seed("the August and September trackers", lambda: run_csip(database_url, IMPORT_AUGUST, IMPORT_SEPTEMBER))
    assert_reads_follow_history(engine)


def test_every_read_of_a_varied_history_follows_it(engine: Engine, open_store: StoreFactory) -> None:
    """60 actions changed at all hours over weeks: many instants, many due days."""
    varied_plan(open_store)
    assert_reads_follow_history(engine)


def test_the_migration_fills_in_states_from_an_existing_history(blank_database_url: str) -> None:
    engine = connect(blank_database_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO plans (id, team_id, created_at) VALUES (1, 'default', :t)"), {"t": T0}
        )
        connection.execute(text("INSERT INTO people (id, plan_id, name, email) VALUES (1, 1, 'Jo', 'jo@x')"))
        connection.execute(
            text("INSERT INTO actions (id, plan_id, ref, description, priority, recommendations) "
                 "VALUES (1, 1, '1.1', 'Audit', 1, '')")
        )  # fmt: skip
        rows = [
            {"kind": "created", "rag": None, "due": dt.date(2017, 9, 30), "owner": 1, "at": T0},
            {"kind": "rag", "rag": "amber", "due": None, "owner": None, "at": T0},
            {"kind": "rag", "rag": "red", "due": None, "owner": None, "at": T0 + dt.timedelta(days=9)},
        ]
        for row in rows:
            connection.execute(  # type: ignore[call-overload]
                text("INSERT INTO action_events (plan_id, action_id, kind, rag, due_date, owner_id, "
                     "source, effective_at, recorded_at) "
                     "VALUES (1, 1, :kind, :rag, :due, :owner, 'import', :at, :at)"),
                row,
            )  # fmt: skip
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with store_factory(engine)() as store:
        assert store.load(1).actions["1.1"].rag is Rag.RED
        assert store.load(1, T0 + dt.timedelta(days=1)).actions["1.1"].rag is Rag.AMBER
    assert_states_follow_history(engine)
    engine.dispose()


class Statements:
    """Statements sent to the database, and rows read back through the store's sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self.rows = 0
        event.listen(engine, "before_cursor_execute", self._count)
        event.listen(Session, "do_orm_execute", self._read)

    def _count(self, *_args: object) -> None:
        self.count += 1

    def _read(self, state: ORMExecuteState) -> Result[Any] | None:
        if not state.is_select:
            return None  # run as it is
        frozen = state.invoke_statement().freeze()  # SQLAlchemy's own way to hold a result
        self.rows += len(frozen.data)
        return frozen()

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
        event.remove(Session, "do_orm_execute", self._read)


def filler(size: int) -> list[list[Any]]:
    """``size`` more actions for priority 9, owned by Bob and Alice in turn."""
    owners = ["bob@council.example", "alice@council.example"]
    rags = ["Red", "Amber", "Green"]
    return [PLAN_GRID[0]] + [
        [f"9.{n + 1}", 9, "Filler", "", "More work", owners[n % 2], "30/11/2017", rags[n % 3], "why"]
        for n in range(size)
    ]


COMMANDS = ["show 5.3", "update 5.3 amber Waiting on the provider", "mine", "summary", "summary 5"]


def test_commands_cost_the_same_statements_at_any_plan_size(
    settings: Settings, engine: Engine, small_plan: StoreFactory, slack: SlackStandIn
) -> None:
    """A question about one action, one person or the totals reads no more as the plan grows."""
    statements = Statements(engine)

    def cost(command: str, name: str) -> tuple[int, int]:
        """The statements a command costs, with the App Home refresh that follows an update."""
        before = (statements.count, statements.rows)
        published = len(slack.calls_to("views.publish"))
        reply = json.dumps(http.reply_to(ALICE, command, response=name))
        assert "went wrong" not in reply
        if command.startswith("update"):
            slack.wait_for(lambda calls: sum(c.method == "views.publish" for c in calls) > published)
        return statements.count - before[0], statements.rows - before[1]

    with serving(settings, small_plan, slack) as http:
        for n, command in enumerate(COMMANDS):  # the first time, Alice is matched to the plan
            cost(command, f"warm{n}")
        small = [cost(command, f"small{n}") for n, command in enumerate(COMMANDS)]
        load_grid(small_plan, [*filler(600)])
        large = [cost(command, f"large{n}") for n, command in enumerate(COMMANDS)]
    statements.stop()
    counts = {command: (sm[0], lg[0]) for command, sm, lg in zip(COMMANDS, small, large, strict=True)}
    assert all(before == after for before, after in counts.values()), counts
    update = COMMANDS[1]
    assert max(before for command, (before, _) in counts.items() if command != update) <= 16
    # An update: who, whether they administer the workspace, the action, its event; then
    # Alice's App Home again (her actions, the priorities she leads), a dozen more.
    assert counts[update][0] <= 16 + 18, counts
    # 600 more actions add one priority and one due date: a row or three more, never hundreds;
    # "mine" reads Alice's own actions, and she owns 300 of them; so does her App Home, shown
    # again after an update.
    more = {command: lg[1] - sm[1] for command, sm, lg in zip(COMMANDS, small, large, strict=True)}
    assert {command: n for command, n in more.items() if n > 3} == {
        "mine": more["mine"],
        update: more[update],
    }, more
    assert more["mine"] <= 300 + 3, more
    assert more[update] <= 300 + 6, more  # her actions, and a new priority and due date counted


def test_acks_do_not_wait_behind_work(
    settings: Settings, small_plan: StoreFactory, slack: SlackStandIn
) -> None:
    """With every worker busy, requests are still acked; their replies follow once work can run."""
    background = Background(workers=1)
    release = threading.Event()
    background.submit(release.wait)  # the only worker is busy until released
    with serving(settings, small_plan, slack, background=background) as http:
        statuses = [http.command(ALICE, "show 5.3", response=f"r{n}")[0] for n in range(5)]
        assert statuses == [200] * 5
        assert slack.calls_to("response/r0") == []  # acked, not yet answered
        release.set()
        for n in range(5):
            assert "Return home interviews" in str(slack.wait_for_response(f"r{n}")[0]["blocks"])
