"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when configured), the
Slack stand-in, and the app served over real HTTP."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine, text

from bot.app import build_app
from bot.server import asgi_app
from bot.slack_client import make_client
from bot.work import Background
from csip.settings import Settings
from plan.clock import Clock
from plan.service import import_sheet
from sheets.cells import Cell
from sheets.rows import read_sheet
from storage.database import connect, migrate
from storage.store import SqlStoreFactory as StoreFactory
from storage.store import store_factory
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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'csip.db'}"
    assert PG_URL
    reset = connect(PG_URL)
    with reset.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    reset.dispose()
    return PG_URL


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database; afterwards, whatever the test wrote, its kept states must be what
    its history folds to (every write path in the suite is checked this way)."""
    engine = connect(database_url)
    migrate(engine)
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
def http(
    settings: Settings, small_plan: StoreFactory, slack: SlackStandIn, retry_waits: list[float]
) -> Iterator[SlackHttp]:
    with serving(settings, small_plan, slack, retry_waits=retry_waits) as served:
        yield served
