"""The suite's own databases: each test's is its own, and a plan many tests start from is
written once and copied, so that what one test writes no other test sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from plan.model import Rag
from plan.service import existing_plan
from sheets.cells import Cell
from storage.database import connect
from storage.store import store_factory
from storage.tables import EventRow
from tests.conftest import BACKENDS, PLAN_GRID, Databases, load_grid
from tests.states_check import assert_states_follow_history


def rag_and_events(url: str) -> tuple[Rag | None, int]:
    """5.3's RAG and how many events the database holds."""
    engine = connect(url)
    with store_factory(engine)() as store:
        rag = store.load(existing_plan(store, "default")).actions["5.3"].rag
        events = store.session.scalar(select(func.count()).select_from(EventRow))
    engine.dispose()
    return rag, events or 0


def write(url: str, grid: list[list[Cell]]) -> None:
    engine = connect(url)
    load_grid(store_factory(engine), grid)
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_seeded_plan_is_written_once_and_copied_not_shared(backend: str, tmp_path: Path) -> None:
    databases = Databases(tmp_path)
    written: list[str] = []

    def seed_plan(url: str) -> None:
        written.append(url)
        write(url, PLAN_GRID)

    green = [row[:] for row in PLAN_GRID]
    green[4][7] = "Green"

    first = databases.fresh(backend, tmp_path / "first.db")
    databases.seed(first, "the plan", lambda: seed_plan(first))
    seeded = rag_and_events(first)
    assert seeded[0] is Rag.RED
    write(first, green)  # the first test changes its plan after the seed was kept
    assert rag_and_events(first) == (Rag.GREEN, seeded[1] + 1)

    second = databases.fresh(backend, tmp_path / "second.db")
    databases.seed(second, "the plan", lambda: seed_plan(second))
    assert written == [first]  # written once
    assert rag_and_events(second) == seeded  # without the first test's change
    write(second, green)  # new rows take new ids after the copied ones
    assert rag_and_events(second) == (Rag.GREEN, seeded[1] + 1)
    engine = connect(second)
    assert_states_follow_history(engine)
    engine.dispose()
