"""How long a scheduler tick takes to work out what is due, its SQL statements and peak memory.

Each size gets a fresh database seeded by ``benchmarks/seed.py`` from 1 December 2024 with twelve
months of RAG changes (10 priorities, 400 owners already matched to Slack users; ``--churn`` is the
share of RAGs moved each month). The tick is at 09:05 London on Monday 1 December 2025, the first
working day of the month, when every kind of message is due (owners' reminders, both escalations,
the digest, the exemption report). Two pieces of work are measured:

- one tick's planning of every slot: ``Planner.plan`` for each slot, reading what each message
  shows and building its Block Kit (the Slack directory is left out, as in
  ``csip digest --preview``; every owner already has a Slack user id);
- building the digest alone (the same, for the digest's slot only).

Sending is left out: it costs one Slack call per message whatever the plan's size. Each piece
runs once in this process (its renderers already imported) and once more in a fresh process
started from this script (``--case``), which opens the seeded database, runs the piece and
reports its resident memory after its imports and at its peak (``VmRSS`` and ``VmHWM``). Seeding
and measuring are shared with ``benchmarks/report.py``. Run:

    .venv/bin/python benchmarks/tick.py [--sizes 306,10000,100000] [--churn 0.1] [--database-url URL]
        [--profile]

Seeding 100,000 actions takes about a minute on SQLite (several with ``--churn 1``, 1.4 million
events). ``--database-url`` names a scratch database that is emptied before each size:
PostgreSQL's ``public`` schema is dropped and recreated (as ``tests/conftest.py`` does) and the
seeded tables get a ``VACUUM ANALYZE``, as autovacuum would give them; a SQLite file is deleted.
Never point it at a database you keep, nor at the tests' one:

    createdb -h 127.0.0.1 -U postgres bench_tick
    .venv/bin/python benchmarks/tick.py --database-url postgresql://postgres@127.0.0.1:5432/bench_tick

``--profile`` runs each piece at the largest size under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
from typing import Any

from common import print_table
from report import (
    TEAM,
    in_fresh_process,
    load_average,
    mib,
    profile,
    report_case,
    seeded_database,
    seeding_row,
    timed,
)
from seed import Seeded
from sqlalchemy.engine import make_url

from csip.settings import Settings
from plan.calendar import WorkingCalendar
from plan.clock import LONDON
from schedules.planning import DIGEST, Planner, latest_slots

NOW = dt.datetime(2025, 12, 1, 9, 5, tzinfo=LONDON).astimezone(dt.UTC)
CASES = {"tick": "one tick: plan every slot", "digest": "build the digest"}


def settings() -> Settings:
    return Settings(
        team_id=TEAM, digest_channels=("CDIGEST",), governance_channel="CGOV", management_channel="CMGMT"
    )


def run(url: str, case: str) -> dict[str, Any]:
    chosen = settings().schedule()
    calendar = WorkingCalendar(chosen.send_time)
    planner = Planner(chosen, calendar, directory=None)
    slots = [slot for slot in latest_slots(NOW, calendar, chosen) if case == "tick" or slot.kind == DIGEST]
    assert all(slot.day == NOW.date() for slot in slots), "not every kind is due at NOW"

    def work(store: Any) -> dict[str, Any]:
        plan_id = store.find_plan_id(TEAM)
        deliveries = [d for slot in slots for d in planner.plan(store, plan_id, slot)]
        return {"messages": sum(len(d.messages) for d in deliveries), "deliveries": len(deliveries)}

    return timed(url, work)


def measure(url: str, seeded: Seeded) -> list[dict[str, str]]:
    rows = []
    for case, label in CASES.items():
        warm = run(url, case)
        cold = in_fresh_process(__file__, url, case)
        rows.append({
            "actions": f"{seeded.size:,}", "events": f"{seeded.events:,}", "work": label,
            "seconds": f"{warm['seconds']:.2f}", "fresh process (s)": f"{cold['seconds']:.2f}",
            "SQL statements": str(warm["statements"]), "deliveries": str(warm["deliveries"]),
            "messages": str(warm["messages"]),
            "RSS after imports (MiB)": mib(cold["rss_before"]), "peak RSS (MiB)": mib(cold["rss_peak"]),
            "load 1 / 5 min": load_average(),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database, emptied per size (default: SQLite files)")
    parser.add_argument("--sizes", default="306,10000,100000")
    parser.add_argument("--churn", type=float, default=0.1, help="share of RAGs moved each month")
    parser.add_argument("--profile", action="store_true", help="profile each piece at the largest size")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        report_case(args.url, lambda case: run(args.url, case), args.case)
        return
    importlib.import_module("reports.charts")  # matplotlib, as the first digest would; not timed here

    sizes = sorted(int(s) for s in args.sizes.split(","))
    seeding, rows = [], []
    for size in sizes:
        with seeded_database(args.database_url, size, args.churn) as (url, seeded, seconds):
            seeding.append(seeding_row(seeded, seconds, args.churn))
            rows += measure(url, seeded)
            if args.profile and size == sizes[-1]:
                for case, label in CASES.items():
                    profile(f"{label} at {size:,}", lambda case=case: run(url, case))
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    print(f"\nSeeding ({backend})\n")
    print_table(seeding)
    print(f"\nA tick at {NOW.astimezone(LONDON):%H:%M on %A %d %B %Y} ({backend}, churn {args.churn:g})\n")
    print_table(rows)


if __name__ == "__main__":
    main()
