"""Every kind of ``PlanStore``, fresh, for the tests that hold them to one contract: the store
in memory, SQLite, and PostgreSQL when ``CSIP_TEST_DATABASE_URL`` is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from plan.ports import StoreFactory
from storage.store import store_factory
from tests.conftest import BACKENDS, Databases
from tests.memory_store import memory_store_factory
from tests.states_check import assert_states_follow_history

STORES = ["memory", *BACKENDS]


Write = Callable[[StoreFactory], object]


@contextmanager
def fresh_store(
    kind: str, databases: Databases, seed: tuple[str, Write] | None = None
) -> Iterator[StoreFactory]:
    """A store of ``kind`` holding only what ``seed`` writes (SQL: written once a session and
    copied, see ``Databases.seed``); a SQL one's kept states are checked against its history
    after."""
    name, write = seed or ("", None)
    if kind == "memory":
        factory = memory_store_factory()
        if write:
            write(factory)
        yield factory
        return
    url = databases.working(kind)
    engine = databases.engine(url)
    try:
        sql = store_factory(engine)
        if write:
            databases.seed(url, name, lambda: write(sql))
        yield sql
        assert_states_follow_history(engine)
    finally:
        engine.dispose()
