"""What each Slack command costs on the server as the plan grows: SQL statements and milliseconds.

Each plan is seeded by ``benchmarks/seed.py`` from 1 December 2024 with a year of monthly RAG
changes (10 priorities, 400 owners already matched to Slack users; the events are counted in the
output). Then the work each listener hands to the background after its ack runs here, in this
process, wired as ``bot.app.build_app`` wires it, by the owner of 1.1:

- ``/csip show 1.1``, ``/csip update 1.1 amber <note>``, ``/csip mine``, ``/csip summary``:
  ``Handlers._answer_command`` (the reply is built; posting it to the response URL is left out);
- ``/csip update`` with nothing else: the same, which opens the update form (``views.open``);
- the form's submission, 1.1 to Red: ``Handlers._save_form`` (saves, then ``views.update``);
- *On track* on a reminder: ``ReminderHandlers._press`` (saves, then ``chat.update``).

Slack is the tests' stand-in (``tests.slack_standin``) on 127.0.0.1 in this process, and its
round trips are in the times. The clock starts a day after the seeded history ends and moves on
a second each time it is read, so every update appends a new version of 1.1 as it would in use.
Each command runs 3 times untimed, then 30 times: the table gives the median and 95th percentile
in milliseconds and the SQL statements one run sends (a range if runs differed), per size, and
the ratio of the medians at the largest and smallest sizes. Seeding times are printed too, with
the load average, since other work on the machine shows up in the figures.

Run (seeding 100,000 actions takes 2 to 3 minutes on SQLite; progress goes to stderr):

    .venv/bin/python benchmarks/commands.py [--sizes 306,10000,100000] [--database-url URL]
        [--no-vacuum] [--profile]

By default each size gets a temporary SQLite file. ``--database-url`` names a scratch database
that is emptied before each size: PostgreSQL's ``public`` schema is dropped and recreated (a
SQLite file is deleted). Never point it at a database you keep, nor at the tests' one:

    createdb -h 127.0.0.1 -U postgres bench_commands
    .venv/bin/python benchmarks/commands.py --database-url postgresql://postgres@127.0.0.1:5432/bench_commands

On PostgreSQL the seeded tables get a ``VACUUM ANALYZE`` before anything is timed, as autovacuum
would give them soon after a large import in use. ``--no-vacuum`` leaves them as loaded: on a
server with autovacuum off that means stale planner statistics and no index-only scans.

``--profile`` then runs each command 30 more times at the largest size under cProfile and prints
where its time goes: own time by function, and cumulative time in csip's own code, as shares.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import ipaddress
import json
import logging
import math
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ is not an installed package

from common import StatementCounter, database_url, empty_database, print_table
from seed import CHUNK, Seeded, seed_plan
from slack_sdk import WebClient

from bot import commands as cmd
from bot import views
from bot.directory import SlackDirectory
from bot.handlers import Handlers
from bot.reminder_handlers import ReminderHandlers
from bot.requests import Workspace
from bot.slack_client import make_client
from bot.work import Background
from csip.settings import Settings
from plan.model import Rag
from plan.ports import Which
from storage.database import connect, migrate
from storage.store import SqlPlanStore, SqlStoreFactory, store_factory
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 3
RUNS = 30
TARGET_MS = 20.0
START = dt.datetime(2024, 12, 1, 9, tzinfo=dt.UTC)
MONTHS = 12
PLAN_TEAM = "default"  # the plan seeded, and the one Settings.team_id names
WORKSPACE = "T0BENCH01"  # the team id Slack sends: it has no plan of its own, so the default is used
ADMIN = "UADMIN001"  # not the caller: the owner may update 1.1 because they own it
REF = "1.1"
NOTE = "Waiting for the provider's revised timetable"
PROFILE_LINES = 12


class TickingClock:
    """An instant that moves on a second each time it is read."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[], object]
    slack_method: str | None = None  # the Slack call each run makes, checked to have succeeded


@dataclass(frozen=True)
class Measured:
    median_ms: float
    p95_ms: float
    fewest: int  # SQL statements in a run
    most: int

    @property
    def statements(self) -> str:
        return str(self.fewest) if self.fewest == self.most else f"{self.fewest}-{self.most}"


@dataclass(frozen=True)
class SizeResult:
    size: int
    events: int
    seed_seconds: float
    vacuum_seconds: float | None
    owned: int
    load: str
    measured: dict[str, Measured]


def commands(
    handlers: Handlers, reminders: ReminderHandlers, standin: SlackStandIn, owner: str, client: WebClient
) -> list[Command]:
    # the bot token's own workspace, as Bolt's auth.test says; its people as that client sees them
    HOME = Workspace(WORKSPACE, is_home=True, directory=SlackDirectory(client))

    def slash(words: str) -> dict[str, Any]:
        return {
            "command": "/csip",
            "text": words,
            "user_id": owner,
            "team_id": WORKSPACE,
            "channel_id": "C0BENCH01",
            "trigger_id": "bench-trigger",
            "response_url": standin.response_url("bench"),
        }

    def answer(words: str) -> Callable[[], object]:
        command = slash(words)
        return lambda: handlers._answer_command(command, client, HOME, [])

    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": views.UPDATE_MODAL,
        "private_metadata": "{}",
        "state": {
            "values": {
                views.MODAL_ACTION: {
                    views.MODAL_ACTION: {"type": "static_select", "selected_option": {"value": REF}}
                },
                views.MODAL_RAG: {
                    views.MODAL_RAG: {"type": "radio_buttons", "selected_option": {"value": "red"}}
                },
                views.MODAL_NOTE: {views.MODAL_NOTE: {"type": "plain_text_input", "value": NOTE}},
            }
        },
    }
    submission = {
        "type": "view_submission",
        "team": {"id": WORKSPACE},
        "user": {"id": owner, "team_id": WORKSPACE},
        "view": view,
    }
    update = cmd.UpdateRag(REF, Rag.RED, NOTE)

    def save_form() -> None:
        handlers._save_form(client, submission, view, HOME, update)

    ts = "1733130000.000100"
    press = {
        "type": "block_actions",
        "team": {"id": WORKSPACE},
        "user": {"id": owner, "team_id": WORKSPACE},
        "trigger_id": "bench-trigger",
        "container": {"type": "message", "channel_id": "D" + owner[1:], "message_ts": ts},
        "message": {"text": "Your actions that need attention", "blocks": [], "ts": ts},
        "response_url": standin.response_url("button"),
        "actions": [{"action_id": "reminder_green", "value": REF, "type": "button"}],
    }
    return [
        Command(f"/csip show {REF}", answer(f"show {REF}")),
        Command(f"/csip update {REF} amber <note>", answer(f"update {REF} amber {NOTE}")),
        Command("/csip mine", answer("mine")),
        Command("/csip summary", answer("summary")),
        Command("/csip update (opens the form)", answer("update"), "views.open"),
        Command(f"form submitted ({REF} red)", save_form, "views.update"),
        Command(f"reminder: On track ({REF})", lambda: reminders._press(press, client, HOME), "chat.update"),
    ]


def measure(command: Command, counter: StatementCounter, standin: SlackStandIn) -> Measured:
    before = len(standin.calls)
    for _ in range(WARM_UP):
        command.run()
    times: list[float] = []
    counts: list[int] = []
    for _ in range(RUNS):
        counter.count = 0
        started = time.perf_counter()
        command.run()
        times.append((time.perf_counter() - started) * 1000)
        counts.append(counter.count)
    check_slack_calls(command, standin, before)
    return Measured(statistics.median(times), statistics.quantiles(times, n=20)[-1], min(counts), max(counts))


def check_slack_calls(command: Command, standin: SlackStandIn, before: int) -> None:
    """Each run made its Slack call, and none said something went wrong (the form's submission
    catches failures and shows them in the form, so they would otherwise pass unnoticed)."""
    calls = standin.calls[before:]
    made = [call for call in calls if call.method == command.slack_method]
    if command.slack_method and len(made) != WARM_UP + RUNS:
        raise SystemExit(f"{command.name}: {len(made)} {command.slack_method} calls, not {WARM_UP + RUNS}")
    for call in calls:
        if ":warning:" in json.dumps(call.params, default=str):
            raise SystemExit(f"{command.name}: Slack was told of a failure: {call.params}")


def profile(command: Command) -> None:
    """Where ``command``'s time goes, over RUNS runs: own time, then cumulative time in csip's code."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(RUNS):
        command.run()
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(own for _, _, own, _, _ in stats.values())
    print(f"\n{command.name}: {total / RUNS * 1000:.1f} ms a run under cProfile")
    print("  own time:")
    by_own = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)
    for (file, line, function), (_, calls, own, _, _) in by_own[:PROFILE_LINES]:
        print(f"    {own / total:6.1%} {calls // RUNS:7,} calls a run  {where(file, line, function)}")
    print("  cumulative, csip's own code:")
    ours = [item for item in stats.items() if is_ours(item[0][0])]
    by_cumulative = sorted(ours, key=lambda item: item[1][3], reverse=True)
    for (file, line, function), (_, calls, _, cumulative, _) in by_cumulative[:PROFILE_LINES]:
        print(f"    {cumulative / total:6.1%} {calls // RUNS:7,} calls a run  {where(file, line, function)}")


def is_ours(file: str) -> bool:
    path = Path(file)
    return path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv")


def where(file: str, line: int, function: str) -> str:
    path = Path(file)
    if is_ours(file):
        return f"{path.relative_to(ROOT)}:{function} (line {line})"
    if "site-packages" in path.parts:
        return f"{'/'.join(path.parts[path.parts.index('site-packages') + 1 :])}:{function}"
    return f"{file}:{function}" if line else function


def check_loopback(given: str | None) -> None:
    """The scratch database is emptied: only one on this machine is accepted."""
    if not given:
        return
    host = make_url(given).host
    if host in (None, "", "localhost"):
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"--database-url must name a database on this machine (127.0.0.1), not {host}")


@contextmanager
def fresh_database(given: str | None) -> Iterator[str]:
    """An empty database: a temporary SQLite file, or ``given`` emptied first."""
    with database_url(given) as url:
        if given:
            empty_database(url)
        yield url


def with_progress(open_store: SqlStoreFactory, size: int) -> SqlStoreFactory:
    """``open_store`` that says how far seeding has got: seed_plan opens one store for the owners
    and priorities, then one for each CHUNK of actions."""
    chunks = math.ceil(size / CHUNK)
    opened = 0
    started = time.perf_counter()

    @contextmanager
    def opening() -> Iterator[SqlPlanStore]:
        nonlocal opened
        with open_store() as store:
            yield store
        opened += 1
        if opened > 1:
            done = min(size, (opened - 1) * CHUNK)
            elapsed = time.perf_counter() - started
            print(
                f"  seeding {size:,}: {done:,} actions ({opened - 1}/{chunks}) in {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    return opening


def vacuum_analyze(engine: Engine) -> float | None:
    """PostgreSQL only: statistics for the planner and the visibility map for index-only scans."""
    if engine.dialect.name != "postgresql":
        return None
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def owned_by(open_store: SqlStoreFactory, seeded: Seeded) -> int:
    with open_store() as store:
        person = store.person_by_slack_id(seeded.plan_id, seeded.owner_slack_id)
        assert person is not None
        return len(store.select(seeded.plan_id, Which(person_id=person.id)).actions)


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def run_size(
    given: str | None, size: int, standin: SlackStandIn, vacuum: bool, profiling: bool
) -> SizeResult:
    with fresh_database(given) as url:
        engine = connect(url)
        migrate(engine)
        open_store = store_factory(engine)
        started = time.perf_counter()
        seeded = seed_plan(
            with_progress(open_store, size), team=PLAN_TEAM, size=size, months=MONTHS, start=START
        )
        seed_seconds = time.perf_counter() - started
        vacuum_seconds = vacuum_analyze(engine) if vacuum else None
        settings = Settings(
            team_id=PLAN_TEAM,
            slack_bot_token="xoxb-bench",
            slack_signing_secret="bench-signing-secret",
            slack_api_url=standin.api_url,
            admins=frozenset({ADMIN}),
        )
        client = make_client(settings.slack())
        clock = TickingClock(seeded.end + dt.timedelta(days=1))
        background = Background()
        handlers = Handlers(settings.bot().access, open_store, clock, background)
        reminders = ReminderHandlers(settings.bot().access, open_store, clock, background)
        counter = StatementCounter(engine)
        try:
            measured: dict[str, Measured] = {}
            for command in commands(handlers, reminders, standin, seeded.owner_slack_id, client):
                print(f"  {size:,} actions: {command.name}", file=sys.stderr, flush=True)
                measured[command.name] = measure(command, counter, standin)
            load = load_average()
            if profiling:
                for command in commands(handlers, reminders, standin, seeded.owner_slack_id, client):
                    profile(command)
            owned = owned_by(open_store, seeded)
        finally:
            background.shutdown()
            engine.dispose()
    return SizeResult(size, seeded.events, seed_seconds, vacuum_seconds, owned, load, measured)


def print_results(results: list[SizeResult], backend: str) -> None:
    print(f"\nSeeding ({backend}):\n")
    print_table([
        {
            "actions": f"{r.size:,}", "events": f"{r.events:,}", "seed (s)": f"{r.seed_seconds:.1f}",
            "vacuum analyze (s)": "-" if r.vacuum_seconds is None else f"{r.vacuum_seconds:.1f}",
            "actions the caller owns": f"{r.owned:,}", "load 1 / 5 min": r.load,
        }
        for r in results
    ])  # fmt: skip
    print(f"\nEach command ({backend}): ms as median / 95th percentile of {RUNS} runs", end="")
    print(f" after {WARM_UP} warm-ups\n")
    smallest, largest = results[0], results[-1]
    rows = []
    for name in smallest.measured:
        row = {"command": name}
        for r in results:
            row[f"ms at {r.size:,}"] = f"{r.measured[name].median_ms:.1f} / {r.measured[name].p95_ms:.1f}"
            row[f"statements at {r.size:,}"] = r.measured[name].statements
        ratio = largest.measured[name].median_ms / smallest.measured[name].median_ms
        row["x (largest/smallest)"] = f"{ratio:.2f}"
        rows.append(row)
    print_table(rows)
    print()
    for name in smallest.measured:
        counts = {r.measured[name].statements for r in results}
        if len(counts) > 1:
            print(f"{name}: the statements differ between sizes ({', '.join(sorted(counts))})")
        if largest.measured[name].median_ms > TARGET_MS:
            slow = largest.measured[name].median_ms
            print(f"{name}: {slow:.1f} ms at {largest.size:,}, over {TARGET_MS:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database, emptied per size (default: SQLite files)")
    parser.add_argument("--sizes", default="306,10000,100000")
    parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: time the tables as loaded")
    parser.add_argument("--profile", action="store_true", help="profile each command at the largest size")
    args = parser.parse_args()
    check_loopback(args.database_url)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    standin = SlackStandIn().start()
    try:
        results = [
            run_size(args.database_url, size, standin, not args.no_vacuum, args.profile and size == sizes[-1])
            for size in sizes
        ]
    finally:
        standin.stop()
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    print_results(results, backend)


if __name__ == "__main__":
    main()
