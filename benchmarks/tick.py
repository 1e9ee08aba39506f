"""How long a scheduler tick takes to work out what is due, and how many SQL statements it runs.

For plans of 306 and 100,000 actions (400 owners, each already matched to Slack, and a second
tracker a week later that moves a tenth of the RAG ratings) it times, on a Monday that is also
the first working day of the month, planning every slot (owners' reminders, escalations, the
digest, the exemption report) and building the digest alone. Sending is left out: it costs one
Slack call per message whatever the plan's size. Run:

    .venv/bin/python benchmarks/tick.py [--sizes 306,100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import StatementCounter, database_url, print_table

from csip.settings import Settings
from plan.calendar import WorkingCalendar
from plan.clock import LONDON
from plan.service import import_sheet
from plan.sheet import Cell, read_sheet
from schedules.planning import DIGEST, Planner, latest_slots
from storage.database import connect, migrate
from storage.store import store_factory

RAGS = ["Green", "Amber", "Red", "Amber", "Green", "Complete"]
NOW = dt.datetime(2025, 12, 1, 9, 5, tzinfo=LONDON).astimezone(dt.UTC)


def grid(size: int, shift: int) -> list[list[Cell]]:
    rows: list[list[Cell]] = [["Ref", "Priority", "Lead", "Action", "Owner", "Due date", "RAG", "Note"]]
    for n in range(size):
        priority = n % 10 + 1
        rag = RAGS[(n + (shift if n % 10 == 0 else 0)) % len(RAGS)]
        rows.append([
            f"{priority}.{n + 1}", priority, f"U{priority:08d}", f"Action {n + 1}", f"U{n % 400 + 100:08d}",
            dt.date(2025, 6, 1) + dt.timedelta(days=n % 400), rag, "Tracker note",
        ])  # fmt: skip
    return rows


def measure(url: str, size: int) -> list[dict[str, str]]:
    engine = connect(url)
    migrate(engine)
    open_store = store_factory(engine)
    team = f"bench-{size}-{time.time_ns()}"
    for shift, as_of in ((0, dt.date(2025, 11, 21)), (1, dt.date(2025, 11, 28))):
        with open_store() as store:
            import_sheet(store, team, read_sheet(grid(size, shift)).rows, now=NOW, as_of=as_of)
    settings = Settings(
        team_id=team, digest_channels=("CDIGEST",), governance_channel="CGOV", management_channel="CMGMT"
    )
    calendar = WorkingCalendar()
    planner = Planner(settings, calendar, directory=None)
    statements = StatementCounter(engine)
    rows = []
    for label, kinds in (("one tick: plan every slot", None), ("build the digest", {DIGEST})):
        statements.count = 0
        started = time.perf_counter()
        with open_store() as store:
            plan_id = store.plan_id(team)
            view = store.load(plan_id, as_at=NOW)
            messages = 0
            for slot in latest_slots(NOW, calendar, settings):
                if kinds is None or slot.kind in kinds:
                    messages += sum(len(d.messages) for d in planner.plan(store, view, slot))
        rows.append({
            "actions": f"{size:,}", "work": label, "seconds": f"{time.perf_counter() - started:.2f}",
            "SQL statements": str(statements.count), "messages": str(messages),
        })  # fmt: skip
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per size")
    parser.add_argument("--sizes", default="306,100000")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with database_url(args.database_url) as url:
            rows += measure(url, size)
    print_table(rows)


if __name__ == "__main__":
    main()
