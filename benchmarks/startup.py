"""How fast `csip` starts: help, a text report, and `csip serve` until it answers /healthz.

Every figure is the wall time of a new process, as an operator or a health check sees it. The
command is the installed entry point beside this interpreter (``.venv/bin/csip``) when there
is one, else ``python -m csip.cli``. Each command runs once untimed first (so that compiling
bytecode is not counted), then:

1. ``csip --help`` and ``csip report --help``, ``--runs`` times each (default 20): median and
   max. Target: under 0.3 s.
2. ``csip report --format text`` on ``examples/plan.xlsx``, imported first with ``csip import``
   into a temporary SQLite database (``CSIP_DATABASE_URL``), ``--report-runs`` times (default
   10). The import is timed too, once, with no untimed run before it (it also creates the
   schema, with Alembic).

For each command a separate run inside a small wrapper lists the libraries it imported: Alembic,
matplotlib, python-docx and openpyxl (help and a text report need none of them; the import
needs openpyxl), and the others. The import's list is from a ``--dry-run`` of it once the
schema exists.

3. ``csip serve --host 127.0.0.1 --port <free port>`` on that database, with
   ``SLACK_BOT_TOKEN=xoxb-test``, ``SLACK_SIGNING_SECRET=secret`` and ``SLACK_API_URL`` pointing
   at the tests' Slack stand-in (``tests.slack_standin``), started in this process on 127.0.0.1
   (Bolt calls ``auth.test`` as it starts). Each of ``--starts`` starts (default 5) is timed
   from just before the process is created until ``GET /healthz`` answers 200, polled every
   10 ms for at most 15 s; its resident memory is read then, and it is stopped with SIGTERM
   (SIGKILL after 5 s), timing how long it takes to exit. Target: listening within 2 s. The
   last one is left running ``--idle`` seconds (default 10) first; its idle resident memory
   (``VmRSS`` in ``/proc/<pid>/status``), its peak (``VmHWM``) and its threads are printed.
   The scheduler's first tick runs at start, as in use, so the idle figures include it (and
   the libraries it imports).

All addresses are loopback, every wait is bounded, and every process started is ended before
the script exits. Run:

    .venv/bin/python benchmarks/startup.py [--runs 20] [--report-runs 10] [--starts 5] [--idle 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ is not an installed package

from common import print_table

from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plan.xlsx"
AVOIDABLE = ("alembic", "docx", "matplotlib", "openpyxl")
OTHERS = ("apscheduler", "pydantic", "slack_bolt", "slack_sdk", "sqlalchemy", "starlette", "uvicorn")
HELP_TARGET_SECONDS = 0.3
LISTEN_TARGET_SECONDS = 2.0
COMMAND_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.01
LISTEN_LIMIT_SECONDS = 15.0
STOP_GRACE_SECONDS = 5.0
PROBE = """
import json, sys
import csip.cli
try:
    code = csip.cli.main(json.loads(sys.argv[1]))
except SystemExit as stop:
    code = stop.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print("\\n" + json.dumps({"code": code, "loaded": loaded}))
"""


def csip_command() -> list[str]:
    """The installed `csip` beside this interpreter, else ``python -m csip.cli``."""
    script = Path(sys.executable).parent / "csip"
    return [str(script)] if script.exists() else [sys.executable, "-m", "csip.cli"]


def clean_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    """This environment without csip's or Slack's settings, plus the ones given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSIP_", "SLACK_"))}
    if database_url:
        env["CSIP_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def finished(argv: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``argv`` run to the end from the repository, its output kept (a failure is the caller's)."""
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False
    )


def run_once(args: Sequence[str], env: dict[str, str]) -> float:
    """Run `csip ARGS` to the end; its wall time in seconds. A failure stops the benchmark."""
    started = time.perf_counter()
    done = finished([*csip_command(), *args], env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"csip {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return elapsed


def loaded_libraries(args: Sequence[str], env: dict[str, str]) -> list[str]:
    """The heavy libraries `csip ARGS` has imported by the time it returns."""
    done = finished(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps([*AVOIDABLE, *OTHERS])], env
    )
    try:
        probe = json.loads(done.stdout.rstrip("\n").rpartition("\n")[2])
    except ValueError:
        probe = {"code": f"without a result ({done.returncode})"}
    if probe["code"] not in (0, None):
        raise SystemExit(f"csip {' '.join(args)} exited {probe['code']}:\n{done.stdout}{done.stderr}")
    return list(probe["loaded"])


def command_row(
    label: str, args: Sequence[str], env: dict[str, str], runs: int, target: float | None
) -> dict[str, str]:
    run_once(args, env)  # untimed: bytecode, disk cache
    times = [run_once(args, env) for _ in range(runs)]
    return timed_row(label, times, target, loaded_libraries(args, env))


def timed_row(label: str, times: list[float], target: float | None, loaded: list[str]) -> dict[str, str]:
    median, worst = statistics.median(times), max(times)
    return {
        "command": label,
        "runs": str(len(times)),
        "median (s)": f"{median:.3f}",
        "max (s)": f"{worst:.3f}",
        "target (s)": f"< {target}" if target else "-",
        "met": ("yes" if worst < target else "median only" if median < target else "no") if target else "-",
        "alembic/docx/matplotlib/openpyxl": ", ".join(m for m in loaded if m in AVOIDABLE) or "none",
        "other libraries": ", ".join(m for m in loaded if m in OTHERS) or "none",
    }


# --- csip serve ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    listen_seconds: float | None  # None: did not answer within LISTEN_LIMIT_SECONDS
    rss_at_listen_kib: int | None
    stop_seconds: float
    exit_code: int | None
    idle: dict[str, int] | None  # VmRSS, VmHWM (KiB) and Threads after idling, for the last start


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB, and Threads, from /proc (empty where there is no /proc)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    wanted: dict[str, int] = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "Threads"):
            wanted[name] = int(value.split()[0])
    return wanted


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except (OSError, HTTPException):  # not listening yet (URLError is an OSError)
        return False


def stop(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, then SIGKILL after STOP_GRACE_SECONDS; seconds until the process had exited."""
    started = time.perf_counter()
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_GRACE_SECONDS)
    return time.perf_counter() - started


def serve_once(env: dict[str, str], log_path: Path, idle_seconds: float) -> Start:
    port = free_port()
    health = f"http://127.0.0.1:{port}/healthz"
    args = [*csip_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            listen: float | None = None
            deadline = started + LISTEN_LIMIT_SECONDS
            while time.perf_counter() < deadline and process.poll() is None:
                if healthy(health):
                    listen = time.perf_counter() - started
                    break
                time.sleep(POLL_SECONDS)
            rss = proc_status(process.pid).get("VmRSS") if listen is not None else None
            idle = None
            if listen is not None and idle_seconds > 0:
                time.sleep(idle_seconds)
                idle = proc_status(process.pid) if process.poll() is None else None
        finally:
            stopped = stop(process)
    if listen is None:
        tail = log_path.read_text(errors="replace")[-2000:]
        print(
            f"csip serve did not answer {health} within {LISTEN_LIMIT_SECONDS} s "
            f"(exit code {process.returncode}); its last output:\n{tail}",
            file=sys.stderr,
        )
    return Start(listen, rss, stopped, process.returncode, idle)


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f}"


def serve_rows(starts: list[Start]) -> list[dict[str, str]]:
    listened = [s.listen_seconds for s in starts if s.listen_seconds is not None]
    rss = [s.rss_at_listen_kib for s in starts if s.rss_at_listen_kib is not None]
    stops = [s.stop_seconds for s in starts]
    all_listened = bool(listened) and len(listened) == len(starts)
    row = {
        "starts": str(len(starts)),
        "listening": str(len(listened)),
        "to /healthz 200, median (s)": f"{statistics.median(listened):.3f}" if listened else "-",
        "max (s)": f"{max(listened):.3f}" if listened else "-",
        "target (s)": f"< {LISTEN_TARGET_SECONDS}",
        "met": "yes" if all_listened and max(listened) < LISTEN_TARGET_SECONDS else "no",
        "RSS at listen (MiB)": mib(round(statistics.median(rss))) if rss else "-",
        "SIGTERM to exit, median (s)": f"{statistics.median(stops):.2f}",
        "SIGTERM to exit, max (s)": f"{max(stops):.2f}",
        "exit codes": ", ".join(sorted({str(s.exit_code) for s in starts})),
    }
    return [row]


def idle_rows(start: Start, idle_seconds: float) -> list[dict[str, str]]:
    idle = start.idle or {}
    return [
        {
            "after idle (s)": f"{idle_seconds:g}",
            "VmRSS (MiB)": mib(idle.get("VmRSS")),
            "VmHWM peak (MiB)": mib(idle.get("VmHWM")),
            "threads": str(idle.get("Threads", "-")),
        }
    ]


# --- the whole run ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each --help")
    parser.add_argument("--report-runs", type=int, default=10, help="timed runs of csip report")
    parser.add_argument("--starts", type=int, default=5, help="timed starts of csip serve")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds the last server idles")
    args = parser.parse_args(argv)
    if min(args.runs, args.report_runs, args.starts) < 1 or args.idle < 0:
        parser.error("runs and starts must be at least 1, and --idle not negative")

    print(
        f"csip: {' '.join(csip_command())}; Python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; load average {load_average()}"
    )
    standin = SlackStandIn().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'csip.db'}"
            bare = clean_env()
            with_plan = clean_env(url)

            print("\n## The command line\n")
            rows = [
                command_row("csip --help", ["--help"], bare, args.runs, HELP_TARGET_SECONDS),
                command_row("csip report --help", ["report", "--help"], bare, args.runs, HELP_TARGET_SECONDS),
            ]
            import_seconds = run_once(["import", str(EXAMPLE)], with_plan)  # creates the schema too
            import_loaded = loaded_libraries(["import", str(EXAMPLE), "--dry-run"], with_plan)
            rows.append(timed_row("csip import examples/plan.xlsx", [import_seconds], None, import_loaded))
            report = ["report", "--format", "text"]
            rows.append(command_row("csip report --format text", report, with_plan, args.report_runs, None))
            print_table(rows)
            print("\n(The import's libraries are from a --dry-run of it, once the schema exists.)")

            print("\n## csip serve\n")
            env = clean_env(
                url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret", SLACK_API_URL=standin.api_url
            )
            log_path = Path(folder) / "serve.log"
            starts = [
                serve_once(env, log_path, args.idle if n == args.starts - 1 else 0)
                for n in range(args.starts)
            ]
            print_table(serve_rows(starts))
            print()
            print_table(idle_rows(starts[-1], args.idle))
            calls = Counter(call.method for call in standin.calls)
            print(f"\nSlack stand-in calls over all starts: {dict(sorted(calls.items()))}")
            lines = log_path.read_text(errors="replace").splitlines()
            ticks = [line for line in lines if " schedules." in line][:10]
            print("\nThe last server's scheduler logged:" if ticks else "\nIts scheduler logged nothing.")
            for line in ticks:
                print(f"  {line[:300]}")
    finally:
        standin.stop()
    print(f"\nload average at the end: {load_average()}")
    return 0


def load_average() -> str:
    try:
        return ", ".join(f"{n:.2f}" for n in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
