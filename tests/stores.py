"""Every kind of ``PlanStore``, fresh, for the tests that hold them to one contract: the store
in memory, SQLite, and PostgreSQL when ``CSIP_TEST_DATABASE_URL`` is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from plan.ports import StoreFactory
from storage.database import connect, migrate
from storage.store import store_factory
from tests.conftest import BACKENDS, PG_URL
from tests.memory_store import memory_store_factory
from tests.states_check import assert_states_follow_history

STORES = ["memory", *BACKENDS]


@contextmanager
def fresh_store(kind: str, tmp_path: Path) -> Iterator[StoreFactory]:
    """An empty store of ``kind``; a SQL one's kept states are checked against its history after."""
    if kind == "memory":
        yield memory_store_factory()
        return
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'csip.db'}"
    else:
        assert PG_URL
        url = PG_URL
        reset = connect(url)
        with reset.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        reset.dispose()
    engine = connect(url)
    migrate(engine)
    try:
        yield store_factory(engine)
        assert_states_follow_history(engine)
    finally:
        engine.dispose()
