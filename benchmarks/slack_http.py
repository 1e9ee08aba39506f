"""How fast the served app answers Slack: the ack under a burst, and the reply by plan size.

Every server runs in a process of its own, served by uvicorn with ``bot.server.asgi_app`` as
`csip serve` serves it (a socket bound on 127.0.0.1, port 0; the scheduler is not started).
Slack is the tests' stand-in (``tests.slack_standin``), in this process, noting when each
response-URL post arrives. All addresses are loopback.

Part ``ack``: signed `/csip update <ref> amber <note>` commands, every note different, from
``--clients`` concurrent clients, by an admin, spread over the 306 refs of
``examples/plan.xlsx``. Two servers take turns: csip's real app (``bot.app.build_app``) and a
bare Bolt app on the same stand-in and signing secret whose one listener acks and responds
with a line of text. Each app gets ``--requests`` requests in ``--rounds`` rounds, alternately
(bare, csip, bare, csip, ...); a round starts once every reply of the last one has arrived,
and replies to its refused requests have stopped coming (``--settle`` quiet seconds). It
prints, per app, the HTTP answer (the ack Slack waits up to 3 s for; Bolt itself answers 404
when a listener has not acked within 3 s), errors (not 200, timeouts after 10 s, connection
errors), the time until the replies reached the response URL, and the ratio csip / bare (the
machine's noise mostly cancels out). Then it runs `csip audit --output FILE` as a separate
command and counts the rows whose Reason is one of the notes: every update that got a 200
should be there, and it says how many refused ones were recorded all the same.

Part ``reply``: one client, one request at a time, `/csip show 1.1`, `update 1.1 amber <note>`,
`mine` and `summary` from the owner of 1.1, on two csip servers at once: one over the
306-action example plan, one over a generated plan of ``--large`` actions (10 priorities, 200
owners, due dates over 2016 to 2018, mixed RAG). It times each command from sending it until
its ephemeral reply arrives, alternating plans and commands for ``--reply-rounds`` rounds.
An app that hands the work on as it acks may reply before its ack has reached the client, so
a reply time can be shorter than an ack time. A few untimed requests warm each server first.

Databases: by default temporary SQLite files, one per plan. With ``--database-url`` naming a
PostgreSQL database, each plan gets a schema of its own in it (``bench_ack``,
``bench_plan306``, ``bench_plan<large>``), dropped and recreated at the start and dropped at
the end; nothing else there is touched. For example, on a scratch database:

    createdb -h 127.0.0.1 -U postgres bench
    .venv/bin/python benchmarks/slack_http.py --database-url postgresql://postgres@127.0.0.1:5432/bench

Run (the defaults are the full numbers; a quick check is ``--clients 10 --requests 200``):

    .venv/bin/python benchmarks/slack_http.py [--part ack|reply|all] [--clients 50]
        [--requests 2000] [--rounds 4] [--large 20000] [--reply-rounds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import math
import multiprocessing
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.client import HTTPException
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import uvicorn
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ is not an installed package

import sqlalchemy
from common import print_table, scratch_databases

from bot.app import build_app
from bot.server import asgi_app
from csip.settings import DEFAULT_TEAM, Settings
from plan.clock import utc_now
from plan.importing import SheetRow
from plan.service import import_sheet
from sheets.cells import Cell
from sheets.files import read_grid
from sheets.rows import read_sheet
from storage.database import connect, migrate
from storage.requests import SqlSeenRequests
from storage.store import store_factory
from tests.signed import SlackHttp
from tests.slack_standin import Answer, SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plan.xlsx"
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
ADMIN = "UADMIN"
OWNER = "UOWNER"
WARM_UP = 5  # untimed requests to each server first: imports, caches, the admin's first lookup
SERVER_START_SECONDS = 120
PRIORITIES = 10
OWNERS = 200
FIRST_DUE, LAST_DUE = dt.date(2016, 1, 1), dt.date(2018, 12, 31)
RAGS = ["Red", "Amber", "Amber", "Green", "Green", "Green", "Complete", ""]


# --- Slack, noting when replies arrive -------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    at: float  # time.perf_counter() in this process
    params: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def content(self) -> str:
        """The fallback text and the blocks, to look for words in."""
        return self.text + json.dumps(self.params.get("blocks") or [])

    @property
    def is_error(self) -> bool:
        return ":warning:" in self.content


class TimedSlack(SlackStandIn):
    """The tests' Slack stand-in, also noting when each response URL is first posted to."""

    def __init__(self) -> None:
        super().__init__()
        # http.server listens with a backlog of 5: a burst of replies would wait on SYN retries.
        self._server.socket.listen(1024)
        self._arrivals: dict[str, Arrival] = {}
        self._arrived = threading.Condition()
        self._count = 0

    def _answer(self, path: str, params: dict[str, Any]) -> Answer:
        if path.startswith("/response/"):
            at = time.perf_counter()
            with self._arrived:
                self._arrivals.setdefault(path.removeprefix("/response/"), Arrival(at, params))
                self._count += 1
                self._arrived.notify_all()
        return super()._answer(path, params)

    def wait_for_replies(self, names: set[str], timeout: float) -> dict[str, Arrival]:
        """The first reply to each of ``names`` that arrives within ``timeout`` seconds."""
        with self._arrived:
            self._arrived.wait_for(lambda: names <= self._arrivals.keys(), timeout=timeout)
            return {name: self._arrivals[name] for name in names if name in self._arrivals}

    def settle(self, names: set[str], quiet: float, timeout: float) -> dict[str, Arrival]:
        """Replies to ``names`` that come while any reply is still coming: wait until all of them
        are in, or none at all has arrived for ``quiet`` seconds, or ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not names <= self._arrivals.keys() and time.monotonic() < deadline:
                seen = self._count
                self._arrived.wait(timeout=max(min(quiet, deadline - time.monotonic()), 0))
                if self._count == seen:
                    break
            return {name: self._arrivals[name] for name in names if name in self._arrivals}


# --- servers, each in a process of its own ----------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    kind: str  # "csip" or "bare"
    api_url: str
    database_url: str = ""


def csip_app(spec: ServerSpec) -> App:
    settings = Settings(
        database_url=spec.database_url,
        team_id=DEFAULT_TEAM,
        admins=frozenset({ADMIN}),
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=spec.api_url,
    )
    return build_app(settings.bot(), store_factory(connect(spec.database_url)))


class SeenNothing:
    """The bare app's stand-in for csip's replay check: every request is new."""

    def first_time(self, signature: str, now: dt.datetime, window: dt.timedelta) -> bool:
        return True


def bare_app(spec: ServerSpec) -> App:
    """Bolt and nothing else: ack, then one line to the response URL."""
    app = App(client=WebClient(token=TOKEN, base_url=spec.api_url), signing_secret=SECRET)

    def answer(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"Received: {command.get('text', '')}")

    app.command(re.compile(r"^/csip"))(answer)
    return app


class FewOfEach(logging.Filter):
    """Let each distinct log message through three times, then count it quietly.

    Under a burst Bolt logs the same warning for every late ack; the tables count those.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.getMessage()[:80]}"
        self.seen[key] += 1
        if self.seen[key] == 3:
            record.msg = f"{record.getMessage()}\n(the same again is not shown)"
            record.args = ()
        return self.seen[key] <= 3


def serve_in_child(spec: ServerSpec, ready: Connection, stop: EventType) -> None:
    """Build the app, serve it on a loopback port (sent back through ``ready``) until ``stop``."""
    handler = logging.StreamHandler()
    handler.addFilter(FewOfEach())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        app = csip_app(spec) if spec.kind == "csip" else bare_app(spec)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(2048)  # connections queue here until uvicorn accepts them
    except BaseException as error:
        ready.send(f"{type(error).__name__}: {error}")
        raise
    seen = SqlSeenRequests(connect(spec.database_url)) if spec.kind == "csip" else SeenNothing()
    config = uvicorn.Config(
        asgi_app(app, SECRET, seen), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready.send(sock.getsockname()[1])
    while not stop.wait(1) and thread.is_alive():
        pass
    server.should_exit = True
    thread.join(timeout=10)


@contextmanager
def served(spec: ServerSpec) -> Iterator[str]:
    """The events URL of a server running in a child process; the process is ended afterwards."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(target=serve_in_child, args=(spec, sending, stop), daemon=True)
    process.start()
    try:
        if not receiving.poll(SERVER_START_SECONDS):
            raise RuntimeError(f"the {spec.kind} server did not start in {SERVER_START_SECONDS} s")
        port = receiving.recv()
        if isinstance(port, str):
            raise RuntimeError(f"the {spec.kind} server could not start: {port}")
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        stop.set()
        process.join(timeout=20)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


# --- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    name: str  # the response URL's name, unique per request
    text: str
    started: float
    answered: float
    error: str | None  # None for a 200

    @property
    def ack(self) -> float:
        return self.answered - self.started


def send(http: SlackHttp, user: str, text: str, name: str) -> Sent:
    started = time.perf_counter()
    error: str | None
    try:
        status, _ = http.command(user, text, response=name)
        error = None if status == 200 else f"HTTP {status}"
    except (OSError, HTTPException) as problem:  # SlackHttp waits 10 s at most
        reason = problem.reason if isinstance(problem, urllib.error.URLError) else problem
        error = "timeout" if isinstance(reason, TimeoutError) else f"connection: {type(reason).__name__}"
    return Sent(name, text, started, time.perf_counter(), error)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    value = seconds * 1000
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def ratio(top: float | None, bottom: float | None) -> str:
    if top is None or not bottom:
        return "-"
    value = top / bottom
    return f"{value:.2f}" if value < 10 else f"{value:,.1f}"


def p50(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


# --- part 1: acks under a burst ---------------------------------------------------------------


@dataclass
class Round:
    app: str
    number: int
    started: float
    sent: list[Sent]
    replies: dict[str, Arrival] = field(default_factory=dict)
    late: dict[str, Arrival] = field(default_factory=dict)  # replies to requests that got an error

    @property
    def refused(self) -> list[Sent]:
        return [s for s in self.sent if s.error is not None]

    @property
    def accepted(self) -> list[Sent]:
        return [s for s in self.sent if s.error is None]

    @property
    def missing_replies(self) -> int:
        return sum(s.name not in self.replies for s in self.accepted)

    @property
    def all_acked(self) -> float:
        return max(s.answered for s in self.sent) - self.started

    @property
    def all_replied(self) -> float | None:
        """Until the last reply, late ones to refused requests included; None if any 200 had none."""
        arrivals = [*self.replies.values(), *self.late.values()]
        if self.missing_replies or not arrivals:
            return None
        return max(a.at for a in arrivals) - self.started


def burst(
    app: str,
    number: int,
    http: SlackHttp,
    slack: TimedSlack,
    work: list[tuple[str, str]],
    args: argparse.Namespace,
) -> Round:
    """Send ``work`` (response name, text) from ``--clients`` at once; wait for the replies.

    A request that got an error may still be worked on and replied to afterwards: the round
    ends only when those replies stop coming too, so that work does not spill into the next.
    """
    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        sent = list(pool.map(lambda item: send(http, ADMIN, item[1], item[0]), work))
    done = Round(app, number, started, sent)
    done.replies = slack.wait_for_replies({s.name for s in done.accepted}, args.reply_timeout)
    done.late = slack.settle({s.name for s in done.refused}, args.settle, args.reply_timeout)
    return done


def warm_up(http: SlackHttp, slack: TimedSlack, user: str, texts: Sequence[str], timeout: float) -> None:
    """Untimed requests, one at a time, until each has been answered and replied to."""
    for n, text in enumerate(texts):
        name = f"warm-{secrets.token_hex(4)}-{n}"
        for _attempt in range(10):
            if send(http, user, text, name).error is None:
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"{http.url} does not answer")
        if not slack.wait_for_replies({name}, timeout):
            raise RuntimeError(f"{http.url} acked {text!r} but never replied")


def part_ack(url: str, slack: TimedSlack, args: argparse.Namespace) -> None:
    sheet = read_sheet(read_grid(EXAMPLE))
    refs = [row.ref for row in sheet.rows]
    slack.add_user(ADMIN, "Ada Admin", admin_email(sheet.rows))
    started = time.perf_counter()
    load_plan(url, sheet.rows)
    print(f"Imported {EXAMPLE.name} ({len(refs)} actions) in {time.perf_counter() - started:.1f} s.\n")

    run = secrets.token_hex(3)
    sizes = [args.requests // args.rounds + (n < args.requests % args.rounds) for n in range(args.rounds)]
    rounds: list[Round] = []
    with ExitStack() as stack:
        urls = {
            "bare": stack.enter_context(served(ServerSpec("bare", slack.api_url))),
            "csip": stack.enter_context(served(ServerSpec("csip", slack.api_url, url))),
        }
        https = {app: SlackHttp(events, SECRET, slack) for app, events in urls.items()}
        for app, http in https.items():
            warm = [f"update {refs[n]} amber warm-up {run} {app} {n}" for n in range(WARM_UP)]
            warm_up(http, slack, ADMIN, warm, args.reply_timeout)
        count = 0
        for number, size in enumerate(sizes, start=1):
            for app in ("bare", "csip"):
                work = []
                for _ in range(size):
                    note = f"bench {run} note {count:06d}"
                    work.append((f"{app}-{count}", f"update {refs[count % len(refs)]} amber {note}"))
                    count += 1
                done = burst(app, number, https[app], slack, work, args)
                rounds.append(done)
                print(
                    f"  round {number} {app}: {len(done.sent)} sent, {len(done.refused)} errors, "
                    f"acked in {done.all_acked:.1f} s, "
                    + (
                        f"replied in {done.all_replied:.1f} s"
                        if done.all_replied is not None
                        else f"{done.missing_replies} replies missing"
                    )
                    + (f"; {len(done.late)} replies to requests that got an error" if done.late else ""),
                    flush=True,
                )
    print()
    print_ack_tables(rounds)
    check_replies([r for r in rounds if r.app == "csip"])
    check_audit(url, [r for r in rounds if r.app == "csip"])


def print_ack_tables(rounds: list[Round]) -> None:
    rows = []
    bare_p50: float | None = None
    for app, label in (("bare", "bare Bolt"), ("csip", "csip")):
        mine = [r for r in rounds if r.app == app]
        sent = [s for r in mine for s in r.sent]
        acks = [s.ack for s in sent if s.error is None]
        replies = [r.replies[s.name].at - s.started for r in mine for s in r.accepted if s.name in r.replies]
        replied = [r.all_replied for r in mine]
        ack_p50 = p50(acks)
        if app == "bare":
            bare_p50 = ack_p50
        rows.append(
            {
                "app": label,
                "requests": f"{len(sent):,}",
                "errors": str(sum(s.error is not None for s in sent)),
                "ack p50 (ms)": ms(ack_p50),
                "ack p95 (ms)": ms(percentile(acks, 0.95) if acks else None),
                "ack p99 (ms)": ms(percentile(acks, 0.99) if acks else None),
                "ack max (ms)": ms(max(acks) if acks else None),
                "p50 / bare p50": ratio(ack_p50, bare_p50),
                "acks/s": f"{len(sent) / sum(r.all_acked for r in mine):,.0f}",
                "reply p50 (ms)": ms(p50(replies)),
                "reply p95 (ms)": ms(percentile(replies, 0.95) if replies else None),
                "replies missing": str(sum(r.missing_replies for r in mine)),
                "replies to errors": str(sum(len(r.late) for r in mine)),
                "all replied (s)": "-" if None in replied else f"{sum(r or 0 for r in replied):.1f}",
            }
        )
    print_table(rows)
    print()
    print(
        "Each round: how long from its start until the last ack, and until the last reply (replies "
        "to requests that got an error included).\n"
    )
    print_table(
        [
            {
                "round": str(r.number),
                "app": r.app,
                "requests": str(len(r.sent)),
                "errors": str(len(r.sent) - len(r.accepted)),
                "ack p50 (ms)": ms(p50([s.ack for s in r.accepted])),
                "ack max (ms)": ms(max((s.ack for s in r.accepted), default=None)),
                "all acked (s)": f"{r.all_acked:.1f}",
                "all replied (s)": "-" if r.all_replied is None else f"{r.all_replied:.1f}",
                "replies to errors": str(len(r.late)),
            }
            for r in rounds
        ]
    )
    errors = Counter(s.error for r in rounds for s in r.sent if s.error is not None)
    if errors:
        print("\nErrors: " + ", ".join(f"{kind} x{n}" for kind, n in errors.most_common()))


def check_replies(rounds: list[Round]) -> None:
    """Say so when csip's replies were not the confirmation an update gets."""
    replies = [a for r in rounds for a in r.replies.values()]
    odd = Counter(a.content[:160] for a in replies if a.is_error or "is now Amber" not in a.content)
    print(f"\ncsip replies saying the update was made: {len(replies) - sum(odd.values())} of {len(replies)}")
    for text, n in odd.most_common(5):
        print(f"  other reply x{n}: {text!r}")


def check_audit(url: str, rounds: list[Round]) -> None:
    """Every update that got a 200 should be in the history: ask `csip audit`, as an operator would."""
    notes = {s.text.split(" amber ", 1)[1] for r in rounds for s in r.accepted}
    refused = {s.text.split(" amber ", 1)[1] for r in rounds for s in r.refused}
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.csv"
        env = {**os.environ, "CSIP_DATABASE_URL": url, "CSIP_TEAM_ID": DEFAULT_TEAM}
        command = [sys.executable, "-m", "csip.cli", "audit", "--output", str(output)]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        took = time.perf_counter() - started
        if done.returncode != 0:
            print(f"\ncsip audit failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
            return
        with output.open(encoding="utf-8-sig", newline="") as file:
            reasons = [row["Reason"] for row in csv.DictReader(file)]
    found = [reason for reason in reasons if reason in notes]
    print(
        f"\naccepted {len(notes)}, in audit {len(found)} "
        f"(distinct notes {len(set(found))}; `csip audit` took {took:.1f} s for {len(reasons):,} rows)"
    )
    if len(set(found)) != len(notes):
        print(f"  MISSING from the history: {len(notes - set(found))} accepted updates")
    if refused:
        applied = {reason for reason in reasons if reason in refused}
        print(
            f"refused (an error to Slack) {len(refused)}, in audit all the same {len(applied)}: "
            "Slack would have told these users the command failed"
        )


def admin_email(rows: Sequence[SheetRow]) -> str:
    """A priority lead's e-mail that is not the owner of 1.1 (who is the reply part's caller)."""
    owner = rows[0].owner
    return sorted({row.lead for row in rows if row.lead and row.lead != owner})[0]


def load_plan(url: str, rows: Sequence[SheetRow]) -> None:
    """Import the plan, then gather the query planner's statistics, as PostgreSQL's autovacuum
    would soon after a large import (it is switched off on this machine's server)."""
    engine = connect(url)
    migrate(engine)
    with store_factory(engine)() as store:
        import_sheet(store, DEFAULT_TEAM, rows, now=utc_now())
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("ANALYZE"))
    engine.dispose()


# --- part 2: replies by plan size -------------------------------------------------------------


def generated_grid(size: int, shared_owner: str, owned: int) -> list[list[Cell]]:
    """A tracker of ``size`` actions: refs P.N, 10 priorities, 200 owners, 2016 to 2018.

    ``shared_owner`` (who owns 1.1 in the example plan too, so one Slack user is the caller on
    both plans) owns 1.1 and ``owned`` actions in all, as in the example plan: `mine` asks the
    same question of both plans. The others are owner002@council.example and on.
    """
    owners = [shared_owner, *(f"owner{n:03d}@council.example" for n in range(2, OWNERS + 1))]
    every = size // owned
    span = (LAST_DUE - FIRST_DUE).days + 1
    header: list[Cell] = ["Ref", "Priority", "Priority title", "Lead", "Action", "Owner", "Due date", "RAG"]
    rows: list[list[Cell]] = [[*header, "Note"]]
    for n in range(size):
        priority, number = n % PRIORITIES + 1, n // PRIORITIES + 1
        rag = RAGS[(n * 3 + n // 11) % len(RAGS)]
        rows.append([
            f"{priority}.{number}", priority, f"Priority {priority}", owners[priority * 10],
            f"Generated action {priority}.{number}",
            shared_owner if n % every == 0 and n // every < owned else owners[1 + n * 7 % (OWNERS - 1)],
            FIRST_DUE + dt.timedelta(days=n * 53 % span), rag,
            "Tracker note" if rag in ("Red", "Amber") else "",
        ])  # fmt: skip
    return rows


def part_reply(urls: dict[int, str], slack: TimedSlack, args: argparse.Namespace) -> None:
    example = read_sheet(read_grid(EXAMPLE))
    owner_email = example.rows[0].owner
    slack.add_user(OWNER, "Owen Owner", owner_email)
    sizes = sorted(urls)
    for size in sizes:
        started = time.perf_counter()
        if size == len(example.rows):
            rows = example.rows
        else:
            owned = sum(1 for row in example.rows if row.owner == owner_email)
            generated = read_sheet(generated_grid(size, owner_email, owned))
            if generated.problems:
                raise RuntimeError(f"the generated plan has problems: {generated.problems[:3]}")
            rows = generated.rows
        load_plan(urls[size], rows)
        print(f"Imported the {size:,}-action plan in {time.perf_counter() - started:.1f} s.")
    print()

    run = secrets.token_hex(3)
    commands: list[tuple[str, Callable[[int], str]]] = [
        ("show 1.1", lambda _n: "show 1.1"),
        ("update 1.1 amber <note>", lambda n: f"update 1.1 amber bench {run} reply {n}"),
        ("mine", lambda _n: "mine"),
        ("summary", lambda _n: "summary"),
    ]
    expected = {"show 1.1": "1.1", "update 1.1 amber <note>": "is now Amber", "mine": "", "summary": ""}
    timings: dict[tuple[str, int], list[float]] = {}
    acks: dict[tuple[str, int], list[float]] = {}
    odd: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    with ExitStack() as stack:
        events = {
            size: stack.enter_context(served(ServerSpec("csip", slack.api_url, urls[size]))) for size in sizes
        }
        https = {size: SlackHttp(url, SECRET, slack) for size, url in events.items()}
        for http in https.values():
            warm_up(http, slack, OWNER, [make(-1) for _, make in commands], args.reply_timeout)
        count = 0
        for round_number in range(args.reply_rounds):
            for label, make in commands:
                for size in sizes:
                    name = f"reply-{size}-{count}"
                    sent = send(https[size], OWNER, make(count), name)
                    count += 1
                    if sent.error is not None:
                        failures[f"{label} on {size:,}: {sent.error}"] += 1
                        continue
                    arrival = slack.wait_for_replies({name}, args.reply_timeout).get(name)
                    if arrival is None:
                        failures[f"{label} on {size:,}: no reply in {args.reply_timeout:.0f} s"] += 1
                        continue
                    timings.setdefault((label, size), []).append(arrival.at - sent.started)
                    acks.setdefault((label, size), []).append(sent.ack)
                    if arrival.is_error or expected[label] not in arrival.content:
                        odd[f"{label} on {size:,}: {arrival.content[:160]!r}"] += 1
            print(f"  round {round_number + 1} of {args.reply_rounds} done", flush=True)
    print()
    small, large = sizes[0], sizes[-1]
    print_table(
        [
            {
                "command": label,
                f"p50 at {small:,} (ms)": ms(p50(timings.get((label, small), []))),
                f"p50 at {large:,} (ms)": ms(p50(timings.get((label, large), []))),
                "ratio": ratio(p50(timings.get((label, large), [])), p50(timings.get((label, small), []))),
                f"max at {large:,} (ms)": ms(max(timings.get((label, large), []), default=None)),
                f"ack p50 at {large:,} (ms)": ms(p50(acks.get((label, large), []))),
            }
            for label, _ in commands
        ]
    )
    for text, n in (failures + odd).most_common(10):
        print(f"  odd x{n}: {text}")


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--part", choices=["ack", "reply", "all"], default="all")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients in the ack part")
    parser.add_argument("--requests", type=int, default=2000, help="ack part: requests to each app")
    parser.add_argument("--rounds", type=int, default=4, help="ack part: rounds per app, alternating")
    parser.add_argument("--large", type=int, default=20000, help="reply part: actions in the large plan")
    parser.add_argument("--reply-rounds", type=int, default=10, help="reply part: rounds of every command")
    parser.add_argument(
        "--reply-timeout", type=float, default=300, help="seconds to wait for replies (a round, a request)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=10,
        help="ack part: after a round, wait while replies to refused requests still come (quiet s)",
    )
    parser.add_argument("--database-url", help="PostgreSQL: a schema per plan in it (default: SQLite files)")
    args = parser.parse_args()
    if args.requests < args.rounds or args.clients < 1 or args.rounds < 1:
        parser.error("need --requests >= --rounds >= 1 and --clients >= 1")

    small = len(read_sheet(read_grid(EXAMPLE)).rows)
    if args.large == small:
        parser.error(f"--large must differ from the example plan's {small} actions")
    names = {"ack": "ack", "small": f"plan{small}", "large": f"plan{args.large}"}
    print_header(args)
    begun = time.perf_counter()
    slack = TimedSlack().start()
    try:
        with scratch_databases(args.database_url, list(names.values())) as urls:
            if args.part in ("ack", "all"):
                print(
                    f"## Ack under a burst: {args.clients} clients, {args.requests:,} updates to each app "
                    f"in {args.rounds} rounds\n"
                )
                started = time.perf_counter()
                part_ack(urls[names["ack"]], slack, args)
                print(f"\n(ack part: {time.perf_counter() - started:.0f} s)\n")
            if args.part in ("reply", "all"):
                print(f"## Reply by plan size: one client, {args.reply_rounds} rounds\n")
                started = time.perf_counter()
                plans = {small: urls[names["small"]], args.large: urls[names["large"]]}
                part_reply(plans, slack, args)
                print(f"\n(reply part: {time.perf_counter() - started:.0f} s)\n")
    finally:
        slack.stop()
    print(f"Total {time.perf_counter() - begun:.0f} s.")


def print_header(args: argparse.Namespace) -> None:
    backend = "PostgreSQL (a schema per plan)" if args.database_url else "SQLite (temporary files, WAL)"
    if args.database_url and args.database_url.startswith("sqlite"):
        backend = "SQLite (files beside the given one)"
    print("# csip over HTTP: acks under a burst, replies by plan size\n")
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; database {backend}. Each server is its own process under "
        "uvicorn; Slack is the local stand-in, in the process sending the requests. Times are "
        "from sending a signed request: 'ack' until its HTTP answer, 'reply' until the ephemeral "
        "reply reached the response URL.\n"
    )


if __name__ == "__main__":
    main()
