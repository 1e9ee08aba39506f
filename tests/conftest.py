"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when configured), made
from a schema migrated once a session, the Slack stand-in, and the app served over real HTTP."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from slack_sdk.http_retry import builtin_handlers, handler
from sqlalchemy import Connection, Engine, text

from bot.app import build_app
from bot.server import asgi_app
from bot.work import Background
from csip.settings import Settings
from plan.clock import Clock
from plan.service import import_sheet
from plan.sheet import Cell, read_sheet
from storage.database import HEAD_REVISION, connect, migrate, schema_revisions
from storage.store import StoreFactory, store_factory
from storage.tables import Base
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn
from tests.states_check import assert_states_follow_history

SIGNING_SECRET = "test-signing-secret"
# A Tuesday in term time, London summer time.
NOW = dt.datetime(2017, 9, 5, 10, 30, tzinfo=dt.UTC)
PG_URL = os.environ.get("CSIP_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]

ALICE, BOB, CAROL, DAVE, ERIN = "UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN"
PLAN_GRID: list[list[Cell]] = [
    ["Ref", "Priority", "Priority title", "Lead", "Action", "Owner", "Due date", "RAG", "Note"],
    ["2.1", 2, "Management oversight and quality assurance", "bob@council.example",
     "Audit supervision records", "bob@council.example", "30/06/2017", "Complete", ""],
    ["5.1", 5, "Children Looked After", "carol@council.example",
     "Refresh the placement sufficiency strategy", "alice@council.example", "31/07/2017", "Amber",
     "Waiting for the market position statement"],
    ["5.2", 5, "", "", "Recruit foster carers", "bob@council.example", "30/09/2017", "Green", ""],
    ["5.3", 5, "", "", "Return home interviews within 72 hours", "alice@council.example",
     "31/08/2017", "Red", "Provider contract delayed"],
]  # fmt: skip


class Databases:
    """Fresh databases, made quickly, each test's its own.

    SQLite: the schema is migrated once a session into a template file that each test copies.
    PostgreSQL: the one test database is emptied (its tables truncated, their ids restarted)
    when this session migrated it, else its schema is dropped and migrated again.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schema: Path | None = None  # SQLite, migrated
        self.migrated = False  # the PostgreSQL schema is one this session migrated

    def fresh(self, backend: str, path: Path) -> str:
        """The URL of a migrated database with nothing in it."""
        if backend == "sqlite":
            if self.schema is None:
                self.schema = self.folder / "migrated.db"
                engine = connect(f"sqlite:///{self.schema}")
                migrate(engine)
                engine.dispose()  # its last connection closing empties the write-ahead log
            shutil.copyfile(self.schema, path)
            return f"sqlite:///{path}"
        assert PG_URL
        engine = connect(PG_URL)
        with engine.begin() as connection:
            if self.migrated and schema_revisions(connection) == {HEAD_REVISION}:
                names = ", ".join(table.name for table in Base.metadata.sorted_tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                self._drop(connection)
        if not self.migrated:
            migrate(engine)
            self.migrated = True
        engine.dispose()
        return PG_URL

    def blank(self, backend: str, path: Path) -> str:
        """The URL of a database with nothing in it, not even a schema."""
        if backend == "sqlite":
            return f"sqlite:///{path}"
        assert PG_URL
        engine = connect(PG_URL)
        with engine.begin() as connection:
            self._drop(connection)
        engine.dispose()
        return PG_URL

    def _drop(self, connection: Connection) -> None:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        self.migrated = False


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(tmp_path_factory.mktemp("templates"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases) -> str:
    """A migrated database of the test's own, with nothing in it."""
    return databases.fresh(request.param, tmp_path / "csip.db")


@pytest.fixture(params=BACKENDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases) -> str:
    """A database of the test's own with nothing in it, not even a schema."""
    return databases.blank(request.param, tmp_path / "blank.db")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test's database; afterwards, whatever the test wrote, its kept states must be what
    its history folds to (every write path in the suite is checked this way)."""
    engine = connect(database_url)
    yield engine
    assert_states_follow_history(engine)
    engine.dispose()


@pytest.fixture
def open_store(engine: Engine) -> StoreFactory:
    return store_factory(engine)


def load_grid(open_store: StoreFactory, grid: list[list[Cell]], as_of: dt.date | None = None) -> None:
    sheet = read_sheet(grid)
    assert not sheet.problems, sheet.problems
    with open_store() as store:
        import_sheet(store, "default", sheet.rows, now=NOW - dt.timedelta(days=30), as_of=as_of)


@pytest.fixture
def small_plan(open_store: StoreFactory) -> StoreFactory:
    load_grid(open_store, PLAN_GRID)
    return open_store


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """slack_sdk's retry handlers wait with time.sleep; here each wait is recorded instead."""
    waits: list[float] = []

    class NoWaiting:
        @staticmethod
        def sleep(seconds: float) -> None:
            waits.append(seconds)

    monkeypatch.setattr(builtin_handlers, "time", NoWaiting)
    monkeypatch.setattr(handler, "time", NoWaiting)
    return waits


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    standin.add_user(ALICE, "Alice Ashdown", "alice@council.example")
    standin.add_user(BOB, "Bob Birch", "bob@council.example")
    standin.add_user(CAROL, "Carol Crane", "carol@council.example")
    standin.add_user(DAVE, "Dave Dale", "dave@elsewhere.example")
    standin.add_user(ERIN, "Erin Ellery", "erin@council.example")
    yield standin
    standin.stop()


@pytest.fixture
def settings(slack: SlackStandIn, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admins=frozenset({ERIN}),
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )


@contextmanager
def serving(
    settings: Settings,
    open_store: StoreFactory,
    slack: SlackStandIn,
    clock: Clock = lambda: NOW,
    background: Background | None = None,
) -> Iterator[SlackHttp]:
    """The app served by uvicorn on a loopback port, as `csip serve` runs it."""
    background = background or Background()
    app = build_app(settings, open_store, clock=clock, background=background)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue here until uvicorn starts accepting
    server = uvicorn.Server(uvicorn.Config(asgi_app(app), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    try:
        yield SlackHttp(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, slack)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        background.shutdown()  # work still running after an ack finishes before the test ends


@pytest.fixture
def http(settings: Settings, small_plan: StoreFactory, slack: SlackStandIn) -> Iterator[SlackHttp]:
    with serving(settings, small_plan, slack) as served:
        yield served
