"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when configured), made
from a schema migrated once a session, plans that many tests start from, written once a session,
the Slack stand-in, and the app served over real HTTP."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.app import build_app
from bot.server import asgi_app
from bot.slack_client import make_client
from bot.work import Background
from csip.cli import main
from csip.settings import Settings
from plan.clock import Clock
from plan.figures import PriorityFigures
from plan.service import import_sheet
from sheets.cells import Cell
from sheets.rows import read_sheet
from storage.database import HEAD_REVISION, connect, migrate, schema_revisions
from storage.requests import SqlSeenRequests
from storage.store import SqlStoreFactory as StoreFactory
from storage.store import store_factory
from storage.tables import Base
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn
from tests.states_check import assert_states_follow_history

SIGNING_SECRET = "test-signing-secret"
# A Tuesday in term time, London summer time.
NOW = dt.datetime(2017, 9, 5, 10, 30, tzinfo=dt.UTC)
PG_URL = os.environ.get("CSIP_TEST_DATABASE_URL")
EXAMPLES = Path(__file__).parent.parent / "examples"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]

# slack_sdk's installation and OAuth state stores' tables (migration 0007), not csip's models
SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")
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


IMPORT_AUGUST = ("import", str(EXAMPLES / "plan.xlsx"), "--as-of", "2017-08-31")
IMPORT_SEPTEMBER = ("import", str(EXAMPLES / "plan-2017-09.xlsx"), "--as-of", "2017-09-30")


@contextmanager
def root_logging_kept() -> Iterator[None]:
    """The root logger's handlers and level as they were, afterwards: `csip serve` points them
    at standard error (``csip.logs.configure``), which for a test is a capture that closes when
    it ends, and work still running in another test's threads would log into it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def run_csip(url: str, *commands: tuple[str, ...]) -> None:
    """Run `csip` commands on the database at ``url``; each must succeed."""
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("CSIP_DATABASE_URL", url)
        for command in commands:
            assert main(list(command)) == 0, f"csip {' '.join(command)}"


Rows = dict[str, list[dict[str, Any]]]


class Databases:
    """Fresh databases, made quickly, each test's its own.

    SQLite: the schema is migrated once a session into a template file that each test copies.
    A plan that tests share (:meth:`seed`) is written once, into the first test's database, and
    kept as another template that later tests' databases are overwritten with. PostgreSQL: the
    one test database is emptied (its tables truncated, their ids restarted) when this session
    migrated it, else its schema is dropped and migrated again; a shared plan's rows are kept
    the first time and written back after that.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schema: Path | None = None  # SQLite, migrated
        self.templates: dict[str, Path] = {}
        self.migrated = False  # the PostgreSQL schema is one this session migrated
        self.kept: dict[str, Rows] = {}
        self.engines: dict[str, Engine] = {}

    def working(self, backend: str) -> str:
        """A fresh database for the running test, always at the same place, so that tests share
        one engine (:meth:`engine`) and with it SQLAlchemy's cache of compiled statements."""
        for engine in self.engines.values():
            engine.dispose()  # no connection of an earlier test outlives it
        return self.fresh(backend, self.folder / "working.db")

    def engine(self, url: str) -> Engine:
        """One engine per database URL for the session; each test disposes of its connections."""
        if url not in self.engines:
            self.engines[url] = connect(url)
        return self.engines[url]

    def fresh(self, backend: str, path: Path) -> str:
        """The URL of a migrated database with nothing in it."""
        if backend == "sqlite":
            if self.schema is None:
                self.schema = self.folder / "migrated.db"
                engine = connect(f"sqlite:///{self.schema}")
                migrate(engine)
                engine.dispose()  # its last connection closing empties the write-ahead log
                assert not Path(f"{self.schema}-wal").exists()
            _sqlite_copy(self.schema, path)  # over the working database too, whoever has it open
            return f"sqlite:///{path}"
        assert PG_URL
        engine = connect(PG_URL)
        with engine.begin() as connection:
            if self.migrated and schema_revisions(connection) == {HEAD_REVISION}:
                names = ", ".join([*(table.name for table in Base.metadata.sorted_tables), *SLACK_TABLES])
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

    def seed(self, url: str, name: str, write: Callable[[], object]) -> None:
        """Make the fresh database at ``url`` hold what ``write`` writes to it, which must be
        the same every time (``name`` says what it is). Only the first test to ask runs
        ``write``; later ones get a copy of what it wrote."""
        if not url.startswith("sqlite"):
            if name not in self.kept:
                write()
                self.kept[name] = _rows(url)
            else:
                _restore(url, self.kept[name])
        elif name not in self.templates:
            write()
            template = self.folder / f"seed{len(self.templates)}.db"
            _sqlite_copy(_sqlite_path(url), template)
            self.templates[name] = template
        else:
            _sqlite_copy(self.templates[name], _sqlite_path(url))

    def _drop(self, connection: Connection) -> None:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        self.migrated = False


def _sqlite_copy(source: Path | str, target: Path | str) -> None:
    """Copy a SQLite database with SQLite's backup, which copies it whole (whatever is still in
    its write-ahead log) and may write over a database others have open."""
    with closing(sqlite3.connect(source)) as database, closing(sqlite3.connect(target)) as copy:
        database.backup(copy)


def _rows(url: str) -> Rows:
    """Every row of every table."""
    engine = connect(url)
    with engine.connect() as connection:
        rows = {
            table.name: [dict(row._mapping) for row in connection.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }
    engine.dispose()
    return rows


def _restore(url: str, rows: Rows) -> None:
    """Write kept rows back into empty tables (PostgreSQL)."""
    engine = connect(url)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if rows[table.name]:
                connection.execute(insert(table), rows[table.name])
            if "id" in table.c and table.c.id.primary_key:  # new ids follow on from the kept ones
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                         f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}")
                )  # fmt: skip
    engine.dispose()


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    assert path, url
    return path


Seed = Callable[[str, Callable[[], object]], None]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(tmp_path_factory.mktemp("templates"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, databases: Databases) -> str:
    """A migrated database with nothing in it, the test's own while it runs."""
    return databases.working(request.param)


@pytest.fixture(params=BACKENDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases) -> str:
    """A database of the test's own with nothing in it, not even a schema."""
    return databases.blank(request.param, tmp_path / "blank.db")


@pytest.fixture
def seed(database_url: str, databases: Databases) -> Seed:
    """``seed(name, write)``: the test's database holds what ``write`` writes, written once a
    session (see :meth:`Databases.seed`)."""
    return lambda name, write: databases.seed(database_url, name, write)


@pytest.fixture(scope="session")
def drawn_charts() -> dict[tuple[tuple[PriorityFigures, ...], dt.date], bytes]:
    return {}


@pytest.fixture
def charts_drawn_once(
    monkeypatch: pytest.MonkeyPatch, drawn_charts: dict[tuple[tuple[PriorityFigures, ...], dt.date], bytes]
) -> None:
    """The digest's chart drawn once a session for each set of figures and day, then sent again.

    matplotlib takes a quarter of a second a chart and the scheduling tests send the same digest
    many times over. ``reports.charts.priority_chart`` is a pure function of its arguments, so
    each digest still carries the very bytes matplotlib draws for its figures; ticks running at
    once wait for the one drawing.
    """
    from reports import charts

    draw = charts.priority_chart
    drawing = threading.Lock()

    def priority_chart(rows: Sequence[PriorityFigures], on: dt.date) -> bytes:
        key = (tuple(rows), on)
        with drawing:
            if key not in drawn_charts:
                drawn_charts[key] = draw(rows, on)
            return drawn_charts[key]

    monkeypatch.setattr(charts, "priority_chart", priority_chart)


@pytest.fixture(autouse=True)
def no_outside_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell running the suite configures nothing: tests set the CSIP_ and SLACK_ variables
    they mean to (CSIP_TEST_DATABASE_URL, which says where PostgreSQL is, was read at import)."""
    for name in list(os.environ):
        if name.startswith(("CSIP_", "SLACK_")):
            monkeypatch.delenv(name)


@pytest.fixture
def engine(database_url: str, databases: Databases) -> Iterator[Engine]:
    """The test's database; afterwards, whatever the test wrote, its kept states must be what
    its history folds to (every write path in the suite is checked this way)."""
    engine = databases.engine(database_url)
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
def small_plan(open_store: StoreFactory, seed: Seed) -> StoreFactory:
    seed("small plan", lambda: load_grid(open_store, PLAN_GRID))
    return open_store


@pytest.fixture
def retry_waits() -> list[float]:
    """How long each of the app's Slack retries would have waited: tests record, never sleep."""
    return []


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
    retry_waits: list[float] | None = None,
) -> Iterator[SlackHttp]:
    """The app served by uvicorn on a loopback port, as `csip serve` runs it; Slack's retries
    are recorded in ``retry_waits`` instead of waited for."""
    background = background or Background()
    waits = retry_waits if retry_waits is not None else []
    client = make_client(settings.slack(), sleep=waits.append)
    app = build_app(settings.bot(), open_store, client=client, clock=clock, background=background)
    engine = connect(settings.database_url)  # the signatures seen, in the test's database
    port = SERVER.serve(asgi_app(app, SIGNING_SECRET, SqlSeenRequests(engine)))
    try:
        yield SlackHttp(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, slack)
    finally:
        SERVER.serve(None)
        engine.dispose()
        background.shutdown()  # work still running after an ack finishes before the test ends


class SharedServer:
    """One uvicorn server on a loopback port for the session, serving whichever app the running
    test put behind it: starting and stopping uvicorn costs a fifth of a second, every time."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("a request arrived with no app being served")
        await self.app(scope, receive, send)

    def serve(self, app: ASGIApp | None) -> int:
        self.app = app
        if self.server is None:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)  # connections queue here until uvicorn starts accepting
            self.port = sock.getsockname()[1]
            self.server = uvicorn.Server(uvicorn.Config(self, log_level="warning", lifespan="off"))
            self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
            self.thread.start()
        return self.port

    def stop(self) -> None:
        if self.server and self.thread:
            self.server.should_exit = True
            self.thread.join(timeout=10)


SERVER = SharedServer()


@pytest.fixture(scope="session", autouse=True)
def shared_server() -> Iterator[None]:
    yield
    SERVER.stop()


@pytest.fixture
def http(
    settings: Settings, small_plan: StoreFactory, slack: SlackStandIn, retry_waits: list[float]
) -> Iterator[SlackHttp]:
    with serving(settings, small_plan, slack, retry_waits=retry_waits) as served:
        yield served
