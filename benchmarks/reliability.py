"""Probing csip as an attacker and a fault injector would: what is refused, lost or doubled.

Four parts, each printing Markdown tables of what it ran and saw (RELIABILITY.md quotes them).

Part ``http``: bad requests against the served app. `csip serve` itself runs in a child
process (uvicorn on a loopback port, logging at INFO as it always does; its scheduler ticks
once at start, with nothing due to anyone in Slack), its output going to a file. Slack is the
tests' stand-in (``tests.slack_standin``), in this process; the plan is ``examples/plan.xlsx``.
Each kind of request is sent ``--count`` times (5 times for the 10 MB ones), every body
carrying a marker of its kind; afterwards the script counts the status codes, the plan's events
before and after (through the store), the replies sent to the requests' response URLs, and in
what the server logged meanwhile: lines carrying the marker (the body reached the log),
tracebacks, and bytes. Kinds: unsigned, a wrong signature, timestamps six minutes old, six
minutes ahead and ``abc``; bodies of ``{``, bad UTF-8 and a bad ``payload=``, unsigned and
signed; bodies of 10 MB declared, sent whole, and chunked; signed updates replayed within five
minutes; and Slack's retries (``X-Slack-Retry-Num``) of new and of already-applied requests.

Part ``burst``: ``--burst-clients`` concurrent signed `/csip update 1.1 amber <note>` commands
from an admin, in ``--burst-rounds`` rounds, to the same `csip serve`: the ack times (Slack
shows the person an error after 3 s), then, for each request, what its reply said (saved or
failed) against whether its note is in the plan's history. On PostgreSQL two more rounds run
while every connection csip has to the database is ended five times a round, 0.1 s apart
(``pg_terminate_backend``, as a restart or a failover would).

Part ``sends``: faults injected into Slack's answers to the scheduler's posts. A plan of
``--owners`` actions, one owner each, all in Slack, is timed so that on Monday 1 December 2025
every owner gets a DM (due in 1 or 7 working days, or overdue), the leads of priorities with a
Red 7 working days overdue an escalation, and the management, digest and governance channels
their messages. For each fault, a fresh database: `schedules.tick.run_due` ticks from 09:05
London every five minutes (``now`` passed in; nothing sleeps: Slack's Retry-After and back-off
waits are recorded, not waited) until no delivery is pending or sending, while 1 in ``--every``
chat.postMessage calls gets the fault (the 5xx storm: three calls in every six, so a post and
both of slack_sdk's retries fail together; the mixed run: a seeded random share, any fault; on
PostgreSQL, csip's connections ended at 1 post and 1 user look-up in 40). A tick that raises is
counted and the next goes on, as under the scheduler. Posts that time out use a client timeout
of ``--timeout`` seconds. Afterwards every part of every delivery is looked for among the posts
Slack accepted, by the key in its metadata: posted once, twice or more, or never. Files (the
digest's chart) are counted as uploads against upload parts.

Then ``sender killed``: `csip run-due --now 2025-12-01T09:05` runs in a child process; the
stand-in holds its answer to the ``--kill-at``-th post (the message posted, or not), and the
child is killed with SIGKILL while it waits. This process then ticks at 1, 6, 11, ... minutes
after (the scheduler's five-minute interval) until nothing is left, and counts as above, with
how long the dead sender's claim waited, against ``schedules.tick.CLAIM_LEASE``.

Part ``import``: `csip import` of a generated CSV tracker of ``--import-rows`` rows into a
database holding the example plan, once to the end (timed), then twice more into fresh copies,
killed with SIGKILL at a quarter and at half of that time; each database is then counted
(plans, actions, events: the plan as before, or all of the import, never part of it) and its
kept states checked against its history (``tests.states_check``).

Databases: by default temporary SQLite files. With ``--database-url`` naming PostgreSQL, each
run gets schemas of its own in that database (``bench_http``, ``bench_sends_<n>``,
``bench_killed_<n>``, ``bench_import_*``), dropped and recreated at the start and dropped at
the end; nothing else there is touched, and only connections this script's csip processes
open (named ``csip-probed``) are ended. For example:

    createdb -h 127.0.0.1 -U postgres probe_rel
    .venv/bin/python benchmarks/reliability.py --database-url postgresql://postgres@127.0.0.1:5432/probe_rel

Run (with the defaults, about two minutes on SQLite and three on PostgreSQL, where the import
takes longer):

    .venv/bin/python benchmarks/reliability.py [--part http|burst|sends|import|all]
        [--database-url URL] [--count 20] [--burst-clients 50] [--burst-rounds 4]
        [--owners 200] [--every 3] [--timeout 0.1] [--kill-at 15] [--seed 9]
        [--import-rows 50000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import platform
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ is not an installed package

from common import print_table, scratch_databases
from slack_http import TimedSlack, load_plan, ms, percentile, send
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.config import DEFAULT_TEAM
from bot.slack_client import make_client
from csip.settings import Settings
from plan.clock import LONDON
from plan.deliveries import DELIVERED, FAILED, PENDING, SENDING
from plan.service import existing_plan, import_sheet
from schedules.tick import CLAIM_BATCH, CLAIM_LEASE, run_due
from sheets.cells import Cell
from sheets.files import read_grid
from sheets.rows import read_sheet
from storage.database import connect, migrate
from storage.store import SqlStoreFactory, store_factory
from storage.tables import ActionRow, DeliveryRow, EventRow, PlanRow
from tests.signed import SlackHttp
from tests.slack_standin import (
    Answer,
    SlackStandIn,
    accepted_then_hung_up,
    accepted_then_late,
    late_without_posting,
    rate_limited,
    server_error,
)
from tests.states_check import assert_states_follow_history

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plan.xlsx"
SECRET = "probe-signing-secret"
TOKEN = "xoxb-probe"
ADMIN, ADMIN_EMAIL = "UADMIN", "ada.admin@council.example"  # in no row of the plan: no DMs
START_SECONDS = 120
MB = 1024 * 1024
MONDAY = dt.datetime(2025, 12, 1, 9, 5, tzinfo=LONDON)
TICK = dt.timedelta(minutes=5)  # CSIP_TICK_MINUTES' default
MAX_TICKS = 40
DROP_ROUNDS, DROPS_PER_ROUND = 2, 5  # PostgreSQL: burst rounds with csip's connections ended
DROP_EVERY = 40  # PostgreSQL: the database's connections are ended at 1 post call in this many
SETTLE = 1.0  # quiet seconds: the work after an ack has finished


# --- the served app: `csip serve` in a child process -------------------------------------------


@dataclass
class Served:
    http: SlackHttp
    log: Path

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as file:
            file.seek(offset)
            return file.read().decode("utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def csip_serve(url: str, slack: SlackStandIn, folder: Path) -> Iterator[Served]:
    """`csip serve` on a loopback port, its output in a file; stopped (SIGTERM) afterwards."""
    port, log = free_port(), folder / "serve.log"
    env = {
        **os.environ,
        "CSIP_DATABASE_URL": url,
        "CSIP_TEAM_ID": DEFAULT_TEAM,
        "CSIP_ADMINS": ADMIN,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    command = [sys.executable, "-m", "csip.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    served = Served(SlackHttp(f"http://127.0.0.1:{port}/slack/events", SECRET, slack), log)
    try:
        wait_until_serving(port, process, served)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(port: int, process: subprocess.Popen[bytes], served: Served) -> None:
    """/healthz answers, and the scheduler's first tick (at start) has finished."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"csip serve exited ({process.returncode}): {served.log_since(0)[-2000:]}")
        logged = served.log_since(0)
        if "tick:" in logged or "tick failed" in logged:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"csip serve did not start in {START_SECONDS} s: {served.log_since(0)[-2000:]}")


# --- part http: bad requests ---------------------------------------------------------------------


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's signature: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>"), over the bytes."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(body: bytes, age: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign(body, timestamp)}


def post(url: str, body: bytes, headers: dict[str, str]) -> str:
    """The status code, or what went wrong instead (the client waits 10 s at most)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return str(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return str(error.code)
    except (OSError, HTTPException) as problem:
        reason = problem.reason if isinstance(problem, urllib.error.URLError) else problem
        return type(reason).__name__


def raw(url: str, head: dict[str, str], parts: Iterable[bytes]) -> str:
    """A request written by hand over a socket: the head, then ``parts`` until the server stops
    reading; the status it answers with, or what happened instead."""
    where = urlsplit(url)
    lines = [f"POST {where.path} HTTP/1.1", f"Host: {where.netloc}", *(f"{k}: {v}" for k, v in head.items())]
    with socket.create_connection((where.hostname or "", where.port or 80), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for part in parts:
            try:
                connection.sendall(part)
            except OSError:  # the server answered and closed without reading the rest
                break
        try:
            status = connection.makefile("rb").readline().decode()
        except OSError as error:
            return type(error).__name__
    return status.split()[1] if status.startswith("HTTP/") else "no answer"


Requests = Callable[["Served", str], list[str]]  # (the server, a marker) -> the statuses


@dataclass
class Probe:
    kind: str
    expected: str  # the status code a sound server answers with
    requests: Requests
    changes: int = 0  # plan changes a sound server makes


def form(http: SlackHttp, text: str, response: str) -> bytes:
    return urlencode(http.command_form(ADMIN, text, response)).encode()


def repeat(times: int, send_one: Callable[[int], str]) -> list[str]:
    return [send_one(n) for n in range(times)]


def probes(refs: Sequence[str], count: int) -> list[Probe]:
    """The kinds of request sent, ``count`` of each (5 of each 10 MB one)."""
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    ten_mb, oversized = 10 * MB, 5

    def update(http: SlackHttp, marker: str, n: int) -> bytes:
        return form(http, f"update {refs[n % len(refs)]} amber {marker} {n}", f"probe-{marker}-{n}")

    def each(make: Callable[[SlackHttp, str, int], tuple[bytes, dict[str, str]]]) -> Requests:
        """``count`` requests, the n-th made by ``make(http, marker, n)``."""
        return lambda served, marker: repeat(
            count, lambda n: post(served.http.url, *make(served.http, marker, n))
        )

    def unsigned(http: SlackHttp, marker: str, n: int) -> tuple[bytes, dict[str, str]]:
        return update(http, marker, n), {}

    def wrong_signature(http: SlackHttp, marker: str, n: int) -> tuple[bytes, dict[str, str]]:
        body = update(http, marker, n)
        timestamp = str(int(time.time()))
        return body, {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(body, timestamp, "not-it"),
        }

    def aged(seconds: int) -> Callable[[SlackHttp, str, int], tuple[bytes, dict[str, str]]]:
        def make(http: SlackHttp, marker: str, n: int) -> tuple[bytes, dict[str, str]]:
            body = update(http, marker, n)
            return body, signed(body, seconds)

        return make

    def timestamp_abc(http: SlackHttp, marker: str, n: int) -> tuple[bytes, dict[str, str]]:
        body = update(http, marker, n)
        return body, {**signed(body), "X-Slack-Request-Timestamp": "abc"}

    def malformed(prefix: bytes, suffix: bytes, signing: bool) -> Callable[..., tuple[bytes, dict[str, str]]]:
        def make(_http: SlackHttp, marker: str, _n: int) -> tuple[bytes, dict[str, str]]:
            body = prefix + marker.encode() + suffix
            return body, signed(body) if signing else {}

        return make

    def replays(served: Served, marker: str) -> list[str]:
        statuses = []
        for n in range(count // 2):
            body = update(served.http, marker, n)
            headers = signed(body)
            statuses += [post(served.http.url, body, headers) for _ in range(4)]  # the first, 3 replays
        return statuses

    def retries_of_new(served: Served, marker: str) -> list[str]:
        bodies = [update(served.http, marker, n) for n in range(count)]
        return [post(served.http.url, body, {**signed(body), **retry}) for body in bodies]

    def retries_of_applied(served: Served, marker: str) -> list[str]:
        statuses = []
        for n in range(count // 2):
            body = update(served.http, marker, n)
            headers = signed(body)
            statuses.append(post(served.http.url, body, headers))  # applied once
            statuses.append(post(served.http.url, body, {**headers, **retry}))
        return statuses

    def declared(served: Served, marker: str) -> list[str]:
        head = {**form_type, "Content-Length": str(ten_mb)}
        chunk = marker.encode() * (64 * 1024 // len(marker))
        return repeat(oversized, lambda _n: raw(served.http.url, head, [chunk]))

    def whole(served: Served, marker: str) -> list[str]:
        body = (marker.encode() * (ten_mb // len(marker) + 1))[:ten_mb]
        head = {**form_type, "Content-Length": str(ten_mb)}
        pieces = [body[i : i + MB] for i in range(0, ten_mb, MB)]
        return repeat(oversized, lambda _n: raw(served.http.url, head, pieces))

    def chunked(served: Served, marker: str) -> list[str]:
        chunk = (marker * (64 * 1024 // len(marker))).encode()
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        head = {**form_type, "Transfer-Encoding": "chunked"}
        return repeat(oversized, lambda _n: raw(served.http.url, head, [framed] * (ten_mb // len(chunk))))

    brace, bad_utf8, bad_payload = (b"{", b""), (b"\xff\xfe", b"\xc3("), (b"payload=%7B", b"")
    return [
        Probe("unsigned update", "401", each(unsigned)),
        Probe("wrong signature", "401", each(wrong_signature)),
        Probe("timestamp 6 min old", "401", each(aged(6 * 60))),
        Probe("timestamp 6 min ahead", "401", each(aged(-6 * 60))),
        Probe("timestamp `abc`", "401", each(timestamp_abc)),
        Probe("unsigned `{`", "401", each(malformed(*brace, signing=False))),
        Probe("unsigned bad UTF-8", "401", each(malformed(*bad_utf8, signing=False))),
        Probe("unsigned bad `payload=`", "401", each(malformed(*bad_payload, signing=False))),
        Probe("signed `{`", "400", each(malformed(*brace, signing=True))),
        Probe("signed bad UTF-8", "401", each(malformed(*bad_utf8, signing=True))),
        Probe("signed bad `payload=`", "400", each(malformed(*bad_payload, signing=True))),
        Probe("10 MB declared, 64 KB sent", "413", declared),
        Probe("10 MB sent whole", "413", whole),
        Probe("10 MB chunked", "413", chunked),
        Probe("signed update, then 3 replays", "200", replays, changes=count // 2),
        Probe("Slack retry of a new request", "200", retries_of_new),
        Probe("applied request, then its Slack retry", "200", retries_of_applied, changes=count // 2),
    ]


def plan_events(open_store: SqlStoreFactory) -> list[Any]:
    with open_store() as store:
        history = store.history(existing_plan(store, DEFAULT_TEAM))
    return [event for events in history.events.values() for event in events]


def settle(slack: SlackStandIn, quiet: float = SETTLE, timeout: float = 60) -> None:
    """Wait until Slack has heard nothing from csip for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        now = len(slack.calls)
        if now == seen:
            return
        seen = now
        time.sleep(quiet)


def tally(statuses: Sequence[str]) -> str:
    return ", ".join(f"{status} x{n}" for status, n in sorted(Counter(statuses).items()))


def part_http(served: Served, open_store: SqlStoreFactory, refs: Sequence[str], count: int) -> dict[str, int]:
    run = secrets.token_hex(3).upper()
    slack = served.http.slack
    rows, totals = [], Counter[str]()
    for number, probe in enumerate(probes(refs, count)):
        marker = f"PROBE{run}K{number:02d}MARK"  # letters and digits: the same in a form as in a log
        before, offset, calls = len(plan_events(open_store)), served.log_size(), len(slack.calls)
        started = time.perf_counter()
        statuses = probe.requests(served, marker)
        took = time.perf_counter() - started
        settle(slack)
        changes = len(plan_events(open_store)) - before
        replies = sum(call.path.startswith(f"/response/probe-{marker}-") for call in slack.calls[calls:])
        logged = served.log_since(offset)
        marked = sum(marker in line for line in logged.splitlines())
        tracebacks = logged.count("Traceback")
        unexpected = sum(status != probe.expected for status in statuses)
        held = not unexpected and changes == replies == probe.changes and not marked and not tracebacks
        totals.update(sent=len(statuses), unexpected=unexpected, marked=marked, tracebacks=tracebacks)
        totals.update(extra=max(changes - probe.changes, 0), missing=max(probe.changes - changes, 0))
        rows.append({
            "request": probe.kind, "sent": str(len(statuses)), "expected": probe.expected,
            "answered": tally(statuses), "plan changes": f"{changes} of {probe.changes}",
            "replies": str(replies), "log lines with the body": str(marked),
            "tracebacks": str(tracebacks), "log bytes": f"{len(logged.encode()):,}",
            "took (s)": f"{took:.1f}", "held": "yes" if held else "**NO**",
        })  # fmt: skip
        print(f"  {probe.kind}: {tally(statuses)}", flush=True)
    print()
    print_table(rows)
    return dict(totals)


# --- part burst: concurrent updates to one action ------------------------------------------------


@dataclass
class Burst:
    label: str
    sent: list[Any]  # slack_http.Sent
    replies: dict[str, Any]  # response name: slack_http.Arrival
    drops: int = 0  # PostgreSQL connections ended while it ran


def burst_round(
    served: Served, ref: str, run: str, number: int, clients: int, during: Callable[[], int] | None = None
) -> Burst:
    """``clients`` updates of ``ref`` at once; ``during`` runs alongside them (and says how many
    times it dropped the database's connections)."""
    slack = served.http.slack
    assert isinstance(slack, TimedSlack)
    texts = [f"update {ref} amber burst {run} {number}-{n}" for n in range(clients)]
    work = [(f"burst-{run}-{number}-{n}", text) for n, text in enumerate(texts)]
    with ThreadPoolExecutor(clients + 1) as pool:
        dropping = pool.submit(during) if during else None
        sent = list(pool.map(lambda item: send(served.http, ADMIN, item[1], item[0]), work))
        drops = dropping.result() if dropping else 0
    replies = slack.wait_for_replies({s.name for s in sent if s.error is None}, timeout=60)
    return Burst("", sent, replies, drops)


def part_burst(
    served: Served, open_store: SqlStoreFactory, ref: str, clients: int, rounds: int, url: str
) -> dict[str, int]:
    run, offset = secrets.token_hex(3), served.log_size()
    started = time.perf_counter()
    plain = [burst_round(served, ref, run, number, clients) for number in range(rounds)]
    bursts = [Burst(f"{clients * rounds} ({clients} at once, {rounds} rounds)", *merge(plain))]
    if is_postgresql(url):
        drop = connection_dropper(url)

        def keep_dropping() -> int:
            ended = 0
            for _ in range(DROPS_PER_ROUND):
                time.sleep(0.1)
                ended += drop()
            return ended

        drops = [
            burst_round(served, ref, run, rounds + n, clients, keep_dropping) for n in range(DROP_ROUNDS)
        ]
        ended = sum(b.drops for b in drops)
        label = (
            f"{clients * DROP_ROUNDS} ({clients} at once, {DROP_ROUNDS} rounds), {ended} connections ended"
        )
        bursts.append(Burst(label, *merge(drops), ended))
    settle(served.http.slack)
    took = time.perf_counter() - started
    notes = Counter(e.note for e in plan_events(open_store) if e.note and e.note.startswith(f"burst {run} "))
    tracebacks = served.log_since(offset).count("Traceback")
    rows, figures = [], Counter[str](tracebacks=tracebacks)
    for burst in bursts:
        outcomes = Counter(outcome(s, burst.replies.get(s.name), notes) for s in burst.sent)
        acks = [s.ack for s in burst.sent if s.error is None]
        figures.update(
            sent=len(burst.sent), errors=sum(s.error is not None for s in burst.sent),
            over_3s=sum(a > 3 for a in acks), lost=outcomes["said saved, not saved"],
            false_errors=outcomes["said failed, saved"], unanswered=outcomes["no reply"],
            doubled=sum(notes[note(s)] > 1 for s in burst.sent),
        )  # fmt: skip
        rows.append({
            "updates to one action": burst.label,
            "HTTP errors": str(sum(s.error is not None for s in burst.sent)),
            "ack p50 (ms)": ms(percentile(acks, 0.5) if acks else None),
            "ack p99 (ms)": ms(percentile(acks, 0.99) if acks else None),
            "ack max (ms)": ms(max(acks, default=None)), "acks over 3 s": str(sum(a > 3 for a in acks)),
            "said saved, saved": str(outcomes["said saved, saved"]),
            "said failed, not saved": str(outcomes["said failed, not saved"]),
            "said saved, not saved": str(outcomes["said saved, not saved"]),
            "said failed, saved": str(outcomes["said failed, saved"]),
            "no reply": str(outcomes["no reply"]),
            "saved twice": str(sum(notes[note(s)] > 1 for s in burst.sent)),
        })  # fmt: skip
    print_table(rows)
    print(f"\n(server log: {tracebacks} tracebacks; {took:.1f} s)")
    for burst in bursts:
        for sent in burst.sent:
            said = outcome(sent, burst.replies.get(sent.name), notes)
            if said in ("said saved, not saved", "said failed, saved", "no reply"):
                reply = burst.replies.get(sent.name)
                shown = reply.text[:300] if reply else sent.error
                print(f"  {said}: {sent.text!r} (HTTP {sent.error or 200}); reply: {shown!r}")
    return dict(figures)


def merge(bursts: Sequence[Burst]) -> tuple[list[Any], dict[str, Any]]:
    return [s for b in bursts for s in b.sent], {k: v for b in bursts for k, v in b.replies.items()}


def note(sent: Any) -> str:
    return str(sent.text.split(" amber ", 1)[1])


def outcome(sent: Any, reply: Any, notes: Counter[str]) -> str:
    """What the person was told against what the history holds."""
    saved = notes[note(sent)] > 0
    if sent.error is not None or reply is None:
        return "no reply" if not saved else "said failed, saved"  # Slack shows an error on no ack
    said_saved = "is now Amber" in reply.content or "was saved" in reply.content
    return f"said {'saved' if said_saved else 'failed'}, {'saved' if saved else 'not saved'}"


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


APPLICATION = "csip-probed"  # PostgreSQL's application_name on csip's connections here


def tagged(url: str) -> str:
    """``url``, its PostgreSQL connections named :data:`APPLICATION`, so that they, and only
    they, can be ended."""
    if not is_postgresql(url):
        return url
    return (
        make_url(url)
        .update_query_dict({"application_name": APPLICATION})
        .render_as_string(hide_password=False)
    )


def connection_dropper(url: str) -> Callable[[], int]:
    """Ends csip's connections to the database (those of :func:`tagged` URLs), as a restart or
    a failover of PostgreSQL would."""
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    ending = text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = :name"
    )

    def drop() -> int:
        """How many connections were ended."""
        with admin.connect() as connection:
            return len(connection.execute(ending, {"name": APPLICATION}).all())

    return drop


# --- part sends: faults in Slack's answers to the scheduler ----------------------------------------

Fault = Callable[[threading.Event], Answer]
FAULTS: dict[str, Fault] = {
    "accepted, then hung up": lambda _release: accepted_then_hung_up(),
    "accepted, answered late": accepted_then_late,
    "not posted, answered late": late_without_posting,
    "rate limited (429)": lambda _release: rate_limited(retry_after=1),
    "server error (503)": lambda _release: server_error(),
}


DROPPED = "PostgreSQL connections killed"


class FaultySlack(SlackStandIn):
    """The stand-in, answering chosen chat.postMessage calls with a fault.

    ``choose(n)`` names the fault for the n-th call (from 1), or None. A late answer waits for
    the tick's ``release``, set once the tick is over (its client gave up long before).
    :data:`DROPPED` answers as usual after ending csip's database connections (``drop``); with
    it chosen, they are also ended at the same share of the planner's users.lookupByEmail calls,
    while a tick's planning transaction is open."""

    def __init__(self, choose: Callable[[int], str | None], drop: Callable[[], int] | None = None) -> None:
        super().__init__()
        self.choose = choose
        self.drop = drop
        self.connections_ended = 0
        self.post_calls = 0
        self.lookups = 0
        self.injected: Counter[str] = Counter()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def _answer(self, path: str, params: dict[str, Any]) -> Answer:
        method = path.removeprefix("/api/").lstrip("/")
        if method == "users.lookupByEmail" and self.drop:
            with self._lock:
                self.lookups += 1
                if self.choose(self.lookups) == DROPPED:
                    self.injected[DROPPED] += 1
                    self.connections_ended += self.drop()
        if method != "chat.postMessage":
            return super()._answer(path, params)
        with self._lock:  # one post at a time: the scripted fault is the one this call takes
            self.post_calls += 1
            name = self.choose(self.post_calls)
            if name is not None:
                self.injected[name] += 1
                if name == DROPPED and self.drop:  # the post lands; csip's connection is gone
                    self.connections_ended += self.drop()
                else:
                    self.script("chat.postMessage", FAULTS[name](self.release))
            return super()._answer(path, params)

    def next_tick(self) -> None:
        """Let the held answers go (the tick is over), and hold the next tick's anew."""
        self.release.set()
        self.release = threading.Event()


def every(nth: int, fault: str) -> Callable[[int], str | None]:
    return lambda n: fault if n % nth == 0 else None


def only(nth: int, fault: str) -> Callable[[int], str | None]:
    return lambda n: fault if n == nth else None


def storm(n: int) -> str | None:
    """Three 503s in every six calls: a post and both of slack_sdk's retries fail."""
    return "server error (503)" if (n - 1) % 6 < 3 else None


def mixed(seed: int, share: float) -> Callable[[int], str | None]:
    chooser = random.Random(seed)
    names = sorted(FAULTS)
    return lambda _n: chooser.choice(names) if chooser.random() < share else None


def fault_grid(owners: int) -> list[list[Cell]]:
    """One action per owner, 10 priorities with a lead each, timed for Monday 1 December 2025:
    due in 1 or 7 working days, or 7 working days overdue (Red: the lead hears), or 14 (the
    management channel hears)."""
    timings = [
        (dt.date(2025, 12, 2), "Amber", "Waiting on the supplier"),
        (dt.date(2025, 12, 10), "Green", ""),
        (dt.date(2025, 11, 20), "Red", "Contract late"),
        (dt.date(2025, 11, 11), "Amber", "Behind plan"),
    ]
    grid: list[list[Cell]] = [
        ["Ref", "Priority", "Priority title", "Lead", "Action", "Owner", "Due date", "RAG", "Note"]
    ]
    for n in range(owners):
        priority = n % 10 + 1
        due, rag, note = timings[n % len(timings)]
        grid.append([
            f"{priority}.{n // 10 + 1}", priority, f"Priority {priority}", lead_email(priority),
            f"Action {n}", owner_email(n), due, rag, note,
        ])  # fmt: skip
    return grid


def owner_email(n: int) -> str:
    return f"owner{n:04d}@council.example"


def lead_email(priority: int) -> str:
    return f"lead{priority:02d}@council.example"


def people(slack: SlackStandIn, owners: int) -> None:
    for n in range(owners):
        slack.add_user(f"UO{n:04d}", f"Owner {n}", owner_email(n))
    for priority in range(1, 11):
        slack.add_user(f"UL{priority:02d}", f"Lead {priority}", lead_email(priority))


def load_fault_plan(url: str, owners: int) -> SqlStoreFactory:
    engine = connect(url)
    migrate(engine)
    sheet = read_sheet(fault_grid(owners))
    if sheet.problems:
        raise RuntimeError(f"the generated plan has problems: {sheet.problems[:3]}")
    open_store = store_factory(engine)
    with open_store() as store:
        as_of = dt.date(2025, 11, 10)
        import_sheet(
            store, DEFAULT_TEAM, sheet.rows, now=dt.datetime(2025, 11, 10, 12, tzinfo=dt.UTC), as_of=as_of
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return open_store


def schedule_settings(url: str, slack: SlackStandIn) -> Settings:
    return Settings(
        database_url=url,
        team_id=DEFAULT_TEAM,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        digest_channels=("CDIGEST",),
        governance_channel="CGOV",
        management_channel="CMGMT",
    )


def delivery_rows(open_store: SqlStoreFactory) -> list[DeliveryRow]:
    with open_store() as store:
        rows = list(store.session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))
        store.session.expunge_all()
    return rows


def unsettled(open_store: SqlStoreFactory) -> int:
    return sum(row.status in (PENDING, SENDING) for row in delivery_rows(open_store))


@dataclass
class Count:
    expected: int = 0
    once: int = 0
    twice_or_more: int = 0
    never: int = 0
    failed: int = 0
    files_expected: int = 0
    files_uploaded: int = 0
    unkeyed: int = 0  # posts without csip's metadata


def count_posts(open_store: SqlStoreFactory, slack: SlackStandIn) -> Count:
    """Every part of every delivery csip meant to send, looked for among the posts Slack took."""
    posts: Counter[tuple[int, int]] = Counter()
    count = Count()
    for post in slack.posted():
        metadata = post.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        payload = (metadata or {}).get("event_payload") or {}
        if "delivery" in payload:
            posts[(int(payload["delivery"]), int(payload["part"]))] += 1
        else:
            count.unkeyed += 1
    for row in delivery_rows(open_store):
        if row.status not in (DELIVERED, FAILED, PENDING, SENDING):
            continue  # planned markers, skipped slots, owners not in Slack: never sent
        count.failed += row.status == FAILED
        for index, message in enumerate(json.loads(row.messages)):
            if "upload" in message:
                count.files_expected += 1
                continue
            count.expected += 1
            seen = posts[(row.id, index)]
            count.once += seen == 1
            count.twice_or_more += seen > 1
            count.never += seen == 0
    count.files_uploaded = sum(
        bool(c.params.get("channel_id")) for c in slack.calls_to("files.completeUploadExternal")
    )
    return count


def lost(count: Count) -> int:
    return count.never + max(count.files_expected - count.files_uploaded, 0)


def doubled(count: Count) -> int:
    return count.twice_or_more + max(count.files_uploaded - count.files_expected, 0)


class LogTally(logging.Handler):
    """Counts this process's log records (the scheduler's) by level, and those carrying a
    traceback, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.levels: Counter[str] = Counter()
        self.tracebacks = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.levels[record.levelname] += 1
        self.tracebacks += record.exc_info is not None

    def snapshot(self) -> tuple[int, int]:
        return self.levels["WARNING"] + self.levels["ERROR"] + self.levels["CRITICAL"], self.tracebacks


TALLY = LogTally()


@dataclass
class Ticked:
    ticks: int
    outcomes: Counter[str]
    waits: list[float]  # Retry-After and back-off waits slack_sdk asked for, in seconds
    failed: Counter[str] = field(default_factory=Counter)  # ticks that raised, by error


def tick_until_done(
    open_store: SqlStoreFactory, slack: FaultySlack, settings: Settings, timeout: float, first: dt.datetime
) -> Ticked:
    """Ticks every five minutes from ``first`` until nothing is pending or sending; a tick that
    raises is counted and the next goes on, as under the scheduler."""
    done = Ticked(0, Counter(), [])
    client = make_client(settings.slack(), sleep=done.waits.append, timeout=timeout)
    schedule = settings.schedule()
    at = first
    while done.ticks < MAX_TICKS:
        try:
            report = run_due(open_store, client, schedule, at.astimezone(dt.UTC))
            done.outcomes.update({str(k): v for k, v in report.outcomes.items()})
        except Exception as error:  # as the scheduler does: the next tick carries on
            done.failed[type(error).__name__] += 1
        slack.next_tick()
        done.ticks += 1
        if not unsettled(open_store):
            break
        at += TICK
    return done


def look_ups(slack: SlackStandIn) -> int:
    return len(slack.calls_to("conversations.history")) + len(slack.calls_to("conversations.replies"))


def send_cases(args: argparse.Namespace, postgresql: bool) -> list[tuple[str, Callable[[int], str | None]]]:
    cases: list[tuple[str, Callable[[int], str | None]]] = [("none (control)", lambda _n: None)]
    cases += [(name, every(args.every, name)) for name in FAULTS]
    cases += [
        ("5xx storm (3 in every 6 calls)", storm),
        (f"mixed (seeded {args.seed}, 1 in {args.every})", mixed(args.seed, 1 / args.every)),
    ]
    if postgresql:
        cases.append((f"{DROPPED} (1 post, 1 look-up in {DROP_EVERY})", every(DROP_EVERY, DROPPED)))
    return cases


def part_sends(urls: dict[str, str], args: argparse.Namespace) -> dict[str, int]:
    postgresql = is_postgresql(urls["http"])
    rows, totals = [], Counter[str]()
    for number, (label, choose) in enumerate(send_cases(args, postgresql)):
        url = urls[f"sends_{number}"]
        slack = FaultySlack(choose, connection_dropper(url) if postgresql else None)
        slack.start()
        try:
            people(slack, args.owners)
            open_store = load_fault_plan(tagged(url), args.owners)
            logged_before = TALLY.snapshot()
            started = time.perf_counter()
            done = tick_until_done(open_store, slack, schedule_settings(url, slack), args.timeout, MONDAY)
            took = time.perf_counter() - started
            count = count_posts(open_store, slack)
            left = unsettled(open_store)
        finally:
            slack.next_tick()
            slack.stop()
        warnings, tracebacks = (now - then for now, then in zip(TALLY.snapshot(), logged_before, strict=True))
        injected = sum(slack.injected.values())
        ended = f", {slack.connections_ended} connections ended" if slack.connections_ended else ""
        totals.update(posts=count.expected + count.files_expected, faults=injected, lost=lost(count))
        totals.update(doubled=doubled(count), unsettled=left, unkeyed=count.unkeyed, tracebacks=tracebacks)
        totals.update(ticks_failed=sum(done.failed.values()))
        rows.append({
            "fault": label, "messages": str(count.expected), "post calls": str(slack.post_calls),
            "faults injected": f"{injected}{ended.replace(', ', ' (', 1) + ')' if ended else ''}",
            "posted once": str(count.once),
            "twice or more": str(count.twice_or_more), "never": str(count.never),
            "failed": str(count.failed),
            "files expected / uploaded": f"{count.files_expected} / {count.files_uploaded}",
            "unknown outcomes": str(done.outcomes.get("unknown", 0)), "look-ups": str(look_ups(slack)),
            "ticks": str(done.ticks), "ticks failed": str(sum(done.failed.values())),
            "waits asked (s)": f"{sum(done.waits):.0f}", "log warnings": str(warnings),
            "tracebacks": str(tracebacks), "took (s)": f"{took:.1f}",
        })  # fmt: skip
        print(f"  {label}: {injected} faults{ended}, {done.ticks} ticks, {took:.1f} s", flush=True)
    print()
    print_table(rows)
    return dict(totals)


def part_killed(urls: dict[str, str], args: argparse.Namespace) -> dict[str, int]:
    rows, totals = [], Counter[str]()
    variants = [
        ("the post landed", "accepted, answered late"),
        ("the post had not landed", "not posted, answered late"),
    ]
    lease = CLAIM_LEASE.total_seconds() / 60
    for number, (label, fault) in enumerate(variants):
        slack = FaultySlack(only(args.kill_at, fault))
        slack.start()
        try:
            people(slack, args.owners)
            url = urls[f"killed_{number}"]
            open_store = load_fault_plan(url, args.owners)
            posts = kill_run_due(url, slack, args.kill_at)
            slack.next_tick()
            at_kill = delivery_rows(open_store)
            batch = {row.id for row in at_kill if row.status == SENDING}
            done = tick_until_done(
                open_store,
                slack,
                schedule_settings(url, slack),
                args.timeout,
                MONDAY + dt.timedelta(minutes=1),
            )
            count = count_posts(open_store, slack)
            after = delivery_rows(open_store)
        finally:
            slack.next_tick()
            slack.stop()
        waited = [
            (row.delivered_at - MONDAY).total_seconds() / 60
            for row in after
            if row.id in batch and row.delivered_at
        ]
        first_tick = MONDAY + dt.timedelta(minutes=1)
        others = sum(row.id not in batch and row.delivered_at == first_tick for row in after)
        totals.update(posts=count.expected + count.files_expected, kills=1, lost=lost(count))
        totals.update(
            doubled=doubled(count), unsettled=sum(row.status in (PENDING, SENDING) for row in after)
        )
        totals.update(held=len(batch))
        totals["waited_max"] = max(totals["waited_max"], round(max(waited, default=0)))
        rows.append({
            "killed while waiting on a post, and": label,
            "posts made (the last in flight)": str(posts),
            "delivered before the kill": str(sum(row.status == DELIVERED for row in at_kill)),
            "dead sender's claim": f"{len(batch)} (batch {CLAIM_BATCH})",
            "others delivered 1 min after": str(others),
            "claim waited (min)": f"{max(waited, default=0):.0f}",
            "in leases": f"{max(waited, default=0) / lease:.1f}",
            "messages": str(count.expected), "posted once": str(count.once),
            "twice or more": str(count.twice_or_more), "never": str(count.never),
            "files expected / uploaded": f"{count.files_expected} / {count.files_uploaded}",
            "look-ups": str(look_ups(slack)), "ticks after": str(done.ticks),
        })  # fmt: skip
        print(f"  {label}: a claim of {len(batch)} held, waited {max(waited, default=0):.0f} min", flush=True)
    print()
    print_table(rows)
    return dict(totals)


def kill_run_due(url: str, slack: FaultySlack, kill_at: int) -> int:
    """`csip run-due --now` Monday 09:05 in a child process, killed (SIGKILL) while it waits for
    the answer to its ``kill_at``-th post; the number of posts it had made."""
    env = {
        **os.environ,
        "CSIP_DATABASE_URL": url,
        "CSIP_TEAM_ID": DEFAULT_TEAM,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.api_url,
        "CSIP_DIGEST_CHANNELS": "CDIGEST",
        "CSIP_GOVERNANCE_CHANNEL": "CGOV",
        "CSIP_MANAGEMENT_CHANNEL": "CMGMT",
    }
    now = MONDAY.replace(tzinfo=None).isoformat(timespec="minutes")
    command = [sys.executable, "-m", "csip.cli", "run-due", "--now", now]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            slack.wait_for(lambda calls: sum(c.method == "chat.postMessage" for c in calls) >= kill_at, 180)
        except AssertionError:
            output.seek(0)
            problem = output.read().decode()[-2000:]
            raise RuntimeError(f"run-due never reached post {kill_at}: {problem}") from None
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    return len(slack.calls_to("chat.postMessage"))


# --- part import: killed mid-import --------------------------------------------------------------

KILL_POINTS = (1 / 4, 1 / 2)  # of a complete import's time; reading the file takes the first tenth


def write_tracker(path: Path, rows: int) -> None:
    """A CSV tracker of ``rows`` actions: refs P.N over 10 priorities, 400 owners."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["Ref", "Priority", "Priority title", "Lead", "Action", "Owner", "Due date", "RAG", "Note"]
        )
        for n in range(rows):
            priority, rag = n % 10 + 1, ("Green", "Amber", "Red")[n % 3]
            writer.writerow([
                f"{priority}.{n // 10 + 1}", priority, f"Priority {priority}", lead_email(priority),
                f"Imported action {n}", owner_email(n % 400), "31/03/2026", rag,
                "" if rag == "Green" else "Reason given",
            ])  # fmt: skip


def csip_import(url: str, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CSIP_DATABASE_URL": url, "CSIP_TEAM_ID": DEFAULT_TEAM}
    command = [sys.executable, "-m", "csip.cli", "import", str(path)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def table_counts(url: str) -> tuple[int, int, int]:
    """Plans, actions and events in the database."""
    engine = connect(url)
    try:
        with engine.connect() as connection:
            return cast(
                tuple[int, int, int],
                tuple(
                    int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                    for table in (PlanRow.__table__, ActionRow.__table__, EventRow.__table__)
                ),
            )
    finally:
        engine.dispose()


def states_follow_history(url: str) -> str:
    engine = connect(url)
    try:
        assert_states_follow_history(engine)
        return "yes"
    except AssertionError as error:
        return f"**NO**: {str(error)[:80]}"
    finally:
        engine.dispose()


def part_import(urls: dict[str, str], rows: int) -> dict[str, int]:
    example = read_sheet(read_grid(EXAMPLE)).rows
    for name in ("import_full", *(f"import_killed_{n}" for n in range(len(KILL_POINTS)))):
        load_plan(urls[name], example)
    before = table_counts(urls["import_full"])
    figures, table = Counter[str](), []
    with tempfile.TemporaryDirectory() as folder:
        tracker = Path(folder) / "tracker.csv"
        write_tracker(tracker, rows)
        started = time.perf_counter()
        process = csip_import(urls["import_full"], tracker)
        _, errors = process.communicate()
        full = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"the complete import failed: {errors.decode()[-2000:]}")
        complete = table_counts(urls["import_full"])
        table.append(import_row("not killed", full, full, before, complete, complete, urls["import_full"]))
        for number, point in enumerate(KILL_POINTS):
            url = urls[f"import_killed_{number}"]
            started = time.perf_counter()
            process = csip_import(url, tracker)
            time.sleep(max(full * point - (time.perf_counter() - started), 0))
            process.send_signal(signal.SIGKILL)
            process.communicate()
            killed = time.perf_counter() - started
            after = table_counts(url)
            row = import_row(f"SIGKILL at {point:.0%}", killed, full, before, complete, after, url)
            table.append(row)
            figures.update(
                kills=1, partial=row["left"] == "**part of it**", broken=row["states follow history"] != "yes"
            )
    figures.update(rows=rows)
    print_table(table)
    return dict(figures)


def import_row(
    label: str,
    took: float,
    full: float,
    before: tuple[int, int, int],
    complete: tuple[int, int, int],
    after: tuple[int, int, int],
    url: str,
) -> dict[str, str]:
    left = "the plan as before" if after == before else "all of it" if after == complete else "**part of it**"
    return {
        "import": label, "after (s)": f"{took:.1f}", "a complete import (s)": f"{full:.1f}",
        "plans / actions / events before": " / ".join(f"{n:,}" for n in before),
        "after": " / ".join(f"{n:,}" for n in after), "left": left,
        "states follow history": states_follow_history(url),
    }  # fmt: skip


# --- the run ---------------------------------------------------------------------------------------


def database_line(url: str) -> str:
    engine = connect(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
            return f"PostgreSQL {version} (a schema per run in the given database)"
        return f"SQLite {sqlite3.sqlite_version} (a file per run, WAL)"
    finally:
        engine.dispose()


def code_version() -> str:
    """The commit the code is at, and whether files differ from it."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        described = ""
    if not described:
        return "an unknown commit"
    commit, dirty = described.removesuffix("-dirty"), described.endswith("-dirty")
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--part", choices=["http", "burst", "sends", "import", "all"], default="all")
    parser.add_argument("--database-url", help="PostgreSQL: a schema per run in it (default: SQLite files)")
    parser.add_argument("--count", type=int, default=20, help="http: requests of each kind (10 MB ones: 5)")
    parser.add_argument("--burst-clients", type=int, default=50, help="burst: concurrent updates")
    parser.add_argument("--burst-rounds", type=int, default=4, help="burst: rounds of them")
    parser.add_argument("--owners", type=int, default=200, help="sends: owners, one DM each")
    parser.add_argument("--every", type=int, default=3, help="sends: 1 post call in this many gets the fault")
    parser.add_argument("--timeout", type=float, default=0.1, help="sends: the client's timeout, seconds")
    parser.add_argument("--kill-at", type=int, default=15, help="sends: the post the killed sender waits on")
    parser.add_argument("--seed", type=int, default=9, help="sends: the mixed run's random faults")
    parser.add_argument("--import-rows", type=int, default=50_000, help="import: rows in the tracker")
    args = parser.parse_args()
    if args.count < 2 or args.every < 2 or args.owners < 20 or args.kill_at < 1 or args.import_rows < 1:
        parser.error("need --count >= 2, --every >= 2, --owners >= 20, --kill-at >= 1, --import-rows >= 1")
    logging.basicConfig(level=logging.INFO, handlers=[TALLY])

    postgresql = bool(args.database_url) and is_postgresql(args.database_url)
    names = [
        "http",
        *(f"sends_{n}" for n in range(len(send_cases(args, postgresql)))),
        *(f"killed_{n}" for n in range(2)),
        "import_full",
        *(f"import_killed_{n}" for n in range(len(KILL_POINTS))),
    ]
    begun = time.perf_counter()
    figures: dict[str, dict[str, int]] = {}
    with scratch_databases(args.database_url, names) as urls:
        print("# csip probed: bad requests, a burst, send faults, killed processes\n")
        print(
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load {load_average()} "
            f"(1 / 5 min); database {database_line(urls['http'])}; code at {code_version()}.\n"
        )
        if args.part in ("http", "burst", "all"):
            figures.update(part_served(urls["http"], args))
        if args.part in ("sends", "all"):
            print(
                f"## Send faults: {args.owners} owners, 1 post call in {args.every} faulted, "
                f"client timeout {args.timeout:g} s\n"
            )
            figures["sends"] = part_sends(urls, args)
            print()
            print(
                f"## `csip run-due` killed (SIGKILL) waiting on post {args.kill_at}; then ticks every "
                f"5 min from 1 min after (lease {CLAIM_LEASE.total_seconds() / 60:.0f} min)\n"
            )
            figures["killed"] = part_killed(urls, args)
            print()
        if args.part in ("import", "all"):
            print(
                f"## `csip import` of {args.import_rows:,} rows into the {EXAMPLE.name} plan, "
                "killed (SIGKILL) part way\n"
            )
            figures["import"] = part_import(urls, args.import_rows)
            print()
    print_summary(figures)
    print(f"\nTotal {time.perf_counter() - begun:.0f} s; load {load_average()} (1 / 5 min).")


def part_served(url: str, args: argparse.Namespace) -> dict[str, dict[str, int]]:
    """Parts http and burst, against one `csip serve` over the example plan."""
    figures = {}
    sheet = read_sheet(read_grid(EXAMPLE))
    refs = [row.ref for row in sheet.rows]
    load_plan(url, sheet.rows)
    open_store = store_factory(connect(url))
    slack = TimedSlack().start()
    slack.add_user(ADMIN, "Ada Admin", ADMIN_EMAIL)
    try:
        with tempfile.TemporaryDirectory() as folder, csip_serve(tagged(url), slack, Path(folder)) as served:
            if args.part in ("http", "all"):
                print(f"## Bad requests to `csip serve` ({EXAMPLE.name}, {len(refs)} actions)\n")
                figures["http"] = part_http(served, open_store, refs, args.count)
                print()
            if args.part in ("burst", "all"):
                print(f"## A burst of updates to one action ({refs[0]}), by an admin\n")
                figures["burst"] = part_burst(
                    served, open_store, refs[0], args.burst_clients, args.burst_rounds, url
                )
                print()
    finally:
        slack.stop()
    return figures


def print_summary(figures: dict[str, dict[str, int]]) -> None:
    rows = []
    if "http" in figures:
        f = figures["http"]
        rows.append({
            "probe": "bad requests", "tried": f"{f['sent']:,} requests",
            "not as expected": f"{f['unexpected']} answers, {f['missing']} changes missing",
            "lost": "-", "doubled": f"{f['extra']} changes",
            "bodies logged / tracebacks": f"{f['marked']} / {f['tracebacks']}",
        })  # fmt: skip
    if "burst" in figures:
        f = figures["burst"]
        rows.append({
            "probe": "burst to one action", "tried": f"{f['sent']} updates",
            "not as expected": (
                f"{f['errors']} HTTP errors, {f['over_3s']} acks over 3 s, {f['unanswered']} unanswered, "
                f"{f['false_errors']} said failed yet saved"
            ),
            "lost": str(f["lost"]), "doubled": str(f["doubled"]),
            "bodies logged / tracebacks": f"- / {f['tracebacks']}",
        })  # fmt: skip
    if "sends" in figures:
        f = figures["sends"]
        rows.append({
            "probe": "send faults", "tried": f"{f['faults']:,} faults over {f['posts']:,} messages and files",
            "not as expected": f"{f['unsettled']} left unsent, {f['unkeyed']} posts without a key",
            "lost": str(f["lost"]), "doubled": str(f["doubled"]),
            "bodies logged / tracebacks": f"- / {f['tracebacks']}",
        })  # fmt: skip
    if "killed" in figures:
        f = figures["killed"]
        rows.append({
            "probe": "sender killed", "tried": f"{f['kills']} kills over {f['posts']:,} messages and files",
            "not as expected": (
                f"{f['unsettled']} left unsent; {f['held']} held by dead claims, "
                f"at most {f['waited_max']} min"
            ),
            "lost": str(f["lost"]), "doubled": str(f["doubled"]), "bodies logged / tracebacks": "-",
        })  # fmt: skip
    if "import" in figures:
        f = figures["import"]
        rows.append({
            "probe": "import killed", "tried": f"{f['kills']} kills of a {f['rows']:,}-row import",
            "not as expected": f"{f['partial']} left part of it, {f['broken']} states not following history",
            "lost": "-", "doubled": "-", "bodies logged / tracebacks": "-",
        })  # fmt: skip
    if rows:
        print("## Summary\n")
        print_table(rows)


if __name__ == "__main__":
    main()
