"""How long `csip report` takes to rebuild the plan as at a date from its history, per format.

Plans: 306 actions with five years of weekly RAG updates, and 100,000 actions with a year of
quarterly ones. The report is as at the last day of the history; each format is built from one
read of the history (the SQL statement count says so). Run:

    .venv/bin/python benchmarks/report.py [--database-url URL] [--sizes 306:260,100000:4]

where each size is actions:updates (weekly updates for the first, quarterly for the second).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import StatementCounter, database_url, print_table

from plan.clock import start_of_day
from plan.model import Event, EventKind, Rag, Source
from plan.service import import_sheet
from plan.sheet import Cell, read_sheet
from reports.render import render, report_as_at
from storage.database import connect, migrate
from storage.store import store_factory

START = dt.date(2012, 1, 2)
RAGS = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.AMBER)


def grid(size: int) -> list[list[Cell]]:
    rows: list[list[Cell]] = [["Ref", "Priority", "Priority title", "Action", "Owner", "Due date"]]
    for n in range(size):
        priority = n % 10 + 1
        rows.append([f"{priority}.{n + 1}", priority, f"Theme {priority}", f"Action {n + 1}",
                     f"owner{n % 400}@council.example", START + dt.timedelta(days=n % 1800)])  # fmt: skip
    return rows


def measure(url: str, size: int, updates: int) -> list[dict[str, str]]:
    engine = connect(url)
    migrate(engine)
    open_store = store_factory(engine)
    team = f"bench-{size}-{time.time_ns()}"
    step = dt.timedelta(weeks=1) if updates > 12 else dt.timedelta(weeks=13)
    with open_store() as store:
        import_sheet(store, team, read_sheet(grid(size)).rows, now=start_of_day(START), as_of=START)
        plan_id = store.plan_id(team)
        ids = [record.id for record in store.history(plan_id).records]
        for update in range(1, updates + 1):
            at = start_of_day(START + step * update)
            store.add_events(plan_id, [
                Event(action_id=i, kind=EventKind.RAG, effective_at=at, recorded_at=at, source=Source.IMPORT,
                      rag=RAGS[(i + update) % len(RAGS)], note="Weekly tracker")
                for i in ids
            ])  # fmt: skip
        store.commit()
    as_at = START + step * updates
    statements = StatementCounter(engine)
    rows = []
    for fmt in ("text", "json", "docx", "xlsx", "png"):
        statements.count = 0
        started = time.perf_counter()
        with open_store() as store:
            built = report_as_at(store, store.plan_id(team), as_at)
        content = render(built, fmt)
        rows.append({
            "actions": f"{size:,}", "events": f"{size * (updates + 1):,}", "format": fmt,
            "seconds": f"{time.perf_counter() - started:.2f}", "SQL statements": str(statements.count),
            "size (KiB)": f"{len(content) / 1024:,.0f}",
        })  # fmt: skip
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per size")
    parser.add_argument("--sizes", default="306:260,100000:4")
    args = parser.parse_args()
    rows = []
    for spec in args.sizes.split(","):
        size, updates = (int(part) for part in spec.split(":"))
        with database_url(args.database_url) as url:
            rows += measure(url, size, updates)
    print_table(rows)


if __name__ == "__main__":
    main()
