"""How long `csip report --as-at` takes, its SQL statements and peak memory, and the same for
reading the whole plan as at a date.

Each size gets a fresh database seeded by ``benchmarks/seed.py`` from 1 December 2024 with twelve
months of RAG changes (``--churn`` of the RAGs moved each month); ``benchmarks/tick.py`` seeds and
measures through the same functions, below. Reports are as at the last seeded day (1 December
2025) and mid-history (1 June 2025):

- ``text`` and ``json`` at every size: ``report_as_at`` then ``render``, as the command does;
- ``docx``, ``xlsx`` and ``png`` up to ``--files-up-to`` actions (default 10,000: at 100,000 the
  Word file takes a minute or more and 500 MiB, its exemption list of thousands of Red actions
  being a table built cell by cell, and the workbook about 14 s);
- ``load``: the whole plan as at the date (``store.load``), one row per action, whatever
  the history's length.

Each runs once in this process (its renderers already imported) and once more in a fresh process
started from this script, which reports its resident memory after its imports and at its peak.
Last, the real command line, ``python -m csip.cli report --as-at DATE --format text``, runs under
``/usr/bin/time`` for its wall time and peak memory, startup and migration check included. Run:

    .venv/bin/python benchmarks/report.py [--sizes 306,10000,100000] [--churn 0.1]
        [--database-url URL] [--files-up-to 10000] [--profile]

``--database-url`` names a scratch database, emptied before each size (see ``tick.py``).
``--profile`` runs the text report and the load at the largest size under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import StatementCounter, database_url, empty_database, print_table
from seed import Seeded, seed_plan
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plan.clock import end_of_day
from reports.render import render, report_as_at
from storage.database import connect, migrate
from storage.store import store_factory

TEAM = "bench"
START = dt.datetime(2024, 12, 1, 9, tzinfo=dt.UTC)
MONTHS = 12
ROOT = Path(__file__).resolve().parent.parent
PROFILE_LINES = 15
DATES = {"end": dt.date(2025, 12, 1), "mid": dt.date(2025, 6, 1)}
FILES = ("docx", "xlsx", "png")
TIME = "/usr/bin/time"


# --- seeding and measuring, shared with benchmarks/tick.py ---------------------------------


@contextmanager
def seeded_database(given: str | None, size: int, churn: float) -> Iterator[tuple[str, Seeded, float]]:
    """A database holding one seeded plan (team ``TEAM``), kept until the block ends; and the
    seconds seeding took."""
    with database_url(given) as url:
        if given:
            empty_database(url)
        engine = connect(url)
        migrate(engine)
        print(f"seeding {size:,} actions, churn {churn:g}…", file=sys.stderr, flush=True)
        started = time.perf_counter()
        seeded = seed_plan(store_factory(engine), TEAM, size, MONTHS, START, churn)
        seconds = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        print(f"seeded {seeded.events:,} events in {seconds:.0f} s", file=sys.stderr, flush=True)
        yield url, seeded, seconds


def timed(url: str, work: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """``work(store)`` on a new engine: its result, seconds and SQL statements."""
    engine = connect(url)
    counter = StatementCounter(engine)
    started = time.perf_counter()
    with store_factory(engine)() as store:
        result = work(store)
    result.update(seconds=time.perf_counter() - started, statements=counter.count)
    engine.dispose()
    return result


def memory_mib(field: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak) of this process. Not ``ru_maxrss``: Linux
    carries that over from the parent process across the fork and exec that started this one."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def in_fresh_process(script: str, url: str, case: str) -> dict[str, Any]:
    """``script --case CASE --url URL`` in a new interpreter: what ``report_case`` printed."""
    command = [sys.executable, script, "--case", case, "--url", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def report_case(url: str, run: Callable[[str], dict[str, Any]], case: str) -> None:
    """The ``--case`` side of ``in_fresh_process``: memory after imports, then run, then peak."""
    before = memory_mib("VmRSS")
    result = run(case)
    print(json.dumps({**result, "rss_before": before, "rss_peak": memory_mib("VmHWM")}))


def profile(name: str, run: Callable[[], object]) -> None:
    """Where ``run``'s time goes: own time (tottime), then cumulative time, as shares."""
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(own for _, _, own, _, _ in stats.values())
    print(f"\n{name}: {total:.2f} s under cProfile")
    for title, column in (("own time", 2), ("cumulative", 3)):
        print(f"  {title}:")
        shown = [item for item in stats.items() if not Path(item[0][0]).is_relative_to(ROOT / "benchmarks")]
        ranked = sorted(shown, key=lambda item: item[1][column], reverse=True)
        for (file, _, function), values in ranked[:PROFILE_LINES]:
            print(f"    {values[column] / total:6.1%} {values[1]:9,} calls  {where(file, function)}")


def where(file: str, function: str) -> str:
    path = Path(file)
    if "site-packages" in path.parts:
        return f"{'/'.join(path.parts[path.parts.index('site-packages') + 1 :])}:{function}"
    if path.is_relative_to(ROOT):
        return f"{path.relative_to(ROOT)}:{function}"
    return f"{file}:{function}" if file != "~" else function


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def mib(value: float) -> str:
    return f"{value:,.0f}"


def seeding_row(seeded: Seeded, seconds: float, churn: float) -> dict[str, str]:
    return {
        "actions": f"{seeded.size:,}", "churn": f"{churn:g}", "events": f"{seeded.events:,}",
        "seed (s)": f"{seconds:.1f}", "load 1 / 5 min": load_average(),
    }  # fmt: skip


# --- the report ------------------------------------------------------------------------------


def run(url: str, case: str) -> dict[str, Any]:
    """``case`` is "<format or load>@<YYYY-MM-DD>"."""
    work, day = case.split("@")
    as_at = dt.date.fromisoformat(day)

    def read(store: Any) -> dict[str, Any]:
        plan_id = store.find_plan_id(TEAM)
        if work == "load":
            return {"output": f"{len(store.load(plan_id, end_of_day(as_at)).actions):,} actions"}
        content = render(report_as_at(store, plan_id, as_at, fmt=work), work)
        return {"output": f"{len(content) / 1024:,.1f} KiB"}

    return timed(url, read)


def cases(size: int, files_up_to: int) -> list[str]:
    formats = ["text", "json", *(FILES if size <= files_up_to else ()), "load"]
    return [f"{work}@{day.isoformat()}" for day in DATES.values() for work in formats]


def measure(url: str, seeded: Seeded, files_up_to: int) -> list[dict[str, str]]:
    rows = []
    for case in cases(seeded.size, files_up_to):
        work, day = case.split("@")
        print(f"  {seeded.size:,}: {work} as at {day}", file=sys.stderr, flush=True)
        warm = run(url, case)
        cold = in_fresh_process(__file__, url, case)
        rows.append({
            "actions": f"{seeded.size:,}", "events": f"{seeded.events:,}", "as at": day, "work": work,
            "seconds": f"{warm['seconds']:.2f}", "fresh process (s)": f"{cold['seconds']:.2f}",
            "SQL statements": str(warm["statements"]), "output": warm["output"],
            "RSS after imports (MiB)": mib(cold["rss_before"]), "peak RSS (MiB)": mib(cold["rss_peak"]),
            "load 1 / 5 min": load_average(),
        })  # fmt: skip
    return rows


def command_line(url: str, seeded: Seeded) -> list[dict[str, str]]:
    """`csip report --as-at DATE --format text` as a user runs it, timed by /usr/bin/time."""
    env = {**os.environ, "CSIP_DATABASE_URL": url, "CSIP_TEAM_ID": TEAM}
    rows = []
    for day in DATES.values():
        argv = ["report", "--as-at", day.isoformat(), "--format", "text"]
        with tempfile.NamedTemporaryFile("r") as timing:
            done = subprocess.run(
                [TIME, "-f", "%e %M", "-o", timing.name, sys.executable, "-m", "csip.cli", *argv],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            seconds, kib = timing.read().split()[-2:]
        if done.returncode:
            raise SystemExit(f"csip {' '.join(argv)} failed:\n{done.stderr}")
        rows.append({
            "actions": f"{seeded.size:,}", "events": f"{seeded.events:,}",
            "command": f"csip {' '.join(argv)}", "wall (s)": seconds,
            "peak RSS (MiB)": mib(int(kib) / 1024), "load 1 / 5 min": load_average(),
        })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database, emptied per size (default: SQLite files)")
    parser.add_argument("--sizes", default="306,10000,100000")
    parser.add_argument("--churn", type=float, default=0.1, help="share of RAGs moved each month")
    parser.add_argument("--files-up-to", type=int, default=10_000, help="largest size for docx, xlsx, png")
    parser.add_argument("--profile", action="store_true", help="profile text and load at the largest size")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        report_case(args.url, lambda case: run(args.url, case), args.case)
        return
    for renderer in ("reports.charts", "reports.document", "reports.workbook"):
        importlib.import_module(renderer)  # as the first report of each kind would; not timed here

    sizes = sorted(int(s) for s in args.sizes.split(","))
    seeding, rows, commands = [], [], []
    for size in sizes:
        with seeded_database(args.database_url, size, args.churn) as (url, seeded, seconds):
            seeding.append(seeding_row(seeded, seconds, args.churn))
            rows += measure(url, seeded, args.files_up_to)
            commands += command_line(url, seeded)
            if args.profile and size == sizes[-1]:
                for work in ("text", "load"):
                    case = f"{work}@{DATES['mid'].isoformat()}"
                    profile(f"{case} at {size:,}", lambda case=case: run(url, case))
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    print(f"\nSeeding ({backend})\n")
    print_table(seeding)
    print(f"\nAn as-at report ({backend}, churn {args.churn:g})\n")
    print_table(rows)
    print(f"\nThe command line ({backend}, churn {args.churn:g})\n")
    print_table(commands)


if __name__ == "__main__":
    main()
