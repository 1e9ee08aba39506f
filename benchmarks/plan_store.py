"""How long reading the plan takes when every current value is folded from the history.

For plans of 306, 10,000 and 100,000 actions, each with a year of monthly RAG updates, it prints
the import time, the time and SQL statement count to load the whole plan, and peak Python memory
while loading. Run:

    .venv/bin/python benchmarks/plan_store.py [--database-url URL] [--sizes 306,10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import tracemalloc

from common import StatementCounter, database_url, print_table

from plan.clock import start_of_day
from plan.model import Rag
from plan.service import import_sheet
from plan.sheet import Cell, read_sheet
from storage.database import connect, migrate
from storage.store import store_factory

RAGS = [Rag.GREEN, Rag.AMBER, Rag.RED]
HEADER: list[Cell] = ["Ref", "Priority", "Lead", "Action", "Owner", "Due date", "RAG", "Note"]


def grid(size: int, month: int) -> list[list[Cell]]:
    rows: list[list[Cell]] = [list(HEADER)]
    for n in range(size):
        priority = n % 10 + 1
        rows.append([
            f"{priority}.{n + 1}", priority, f"lead{priority}@council.example", f"Action {n + 1}",
            f"owner{n % 400}@council.example", dt.date(2017, 1, 1) + dt.timedelta(days=n % 700),
            RAGS[(n + month) % 3].value, "Monthly tracker note",
        ])  # fmt: skip
    return rows


def measure(url: str, size: int, months: int) -> dict[str, str]:
    engine = connect(url)
    migrate(engine)
    team = f"bench-{size}-{time.time_ns()}"
    open_store = store_factory(engine)
    started = time.perf_counter()
    for month in range(months):
        sheet = read_sheet(grid(size, month))
        with open_store() as store:
            as_of = dt.date(2017, 1, 1) + dt.timedelta(days=30 * month)
            import_sheet(store, team, sheet.rows, now=start_of_day(as_of), as_of=as_of)
    import_seconds = time.perf_counter() - started
    counter = StatementCounter(engine)
    started = time.perf_counter()
    with open_store() as store:
        view = store.load(store.plan_id(team))
    load_seconds = time.perf_counter() - started
    statements = counter.count
    tracemalloc.start()  # a second load, since tracing slows Python several times over
    with open_store() as store:
        store.load(store.plan_id(team))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(view.actions) == size
    engine.dispose()
    return {
        "actions": f"{size:,}",
        "events": f"{size * (months + 1):,}",
        "import all months (s)": f"{import_seconds:.1f}",
        "load plan (s)": f"{load_seconds:.3f}",
        "SQL statements": str(statements),
        "peak memory (MiB)": f"{peak / 2**20:.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per size")
    parser.add_argument("--sizes", default="306,10000,100000")
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with database_url(args.database_url) as url:
            rows.append(measure(url, size, args.months))
    print_table(rows)


if __name__ == "__main__":
    main()
