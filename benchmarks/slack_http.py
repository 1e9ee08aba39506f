"""How the served app answers many signed `/csip` requests at once.

Starts the app under uvicorn as `csip serve` does, with Slack played by the local stand-in,
loads the example plan, then sends signed `/csip show` and `/csip summary` commands from
concurrent clients. It prints the ack latency Slack would see, refusals, and how long until
every ephemeral reply had arrived. Run:

    .venv/bin/python benchmarks/slack_http.py [--clients 50] [--requests 1000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).parent.parent))

from common import database_url

from bot.app import build_app
from bot.server import asgi_app
from csip.settings import Settings
from csip.spreadsheets import read_grid
from plan.clock import utc_now
from plan.service import import_sheet
from plan.sheet import read_sheet
from storage.database import connect, migrate
from storage.store import store_factory
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn

EXAMPLE = Path(__file__).parent.parent / "examples" / "plan.xlsx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with database_url(args.database_url) as url:
        run(url, args.clients, args.requests)


def run(url: str, clients: int, requests: int) -> None:
    engine = connect(url)
    migrate(engine)
    open_store = store_factory(engine)
    with open_store() as store:
        import_sheet(store, "default", read_sheet(read_grid(EXAMPLE)).rows, now=utc_now())

    slack = SlackStandIn().start()
    secret = "bench-secret"
    settings = Settings(
        slack_bot_token="xoxb-bench", slack_signing_secret=secret, slack_api_url=slack.api_url
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    server = uvicorn.Server(
        uvicorn.Config(asgi_app(build_app(settings, open_store)), log_level="error", lifespan="off")
    )
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    http = SlackHttp(f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events", secret, slack)

    def one(n: int) -> tuple[int, float]:
        text = "summary" if n % 2 else f"show {n % 10 + 1}.1"
        started = time.perf_counter()
        status, _ = http.command("UBENCH", text, response=f"r{n}")
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(requests)))
    acked = time.perf_counter() - started
    slack.wait_for(lambda calls: sum(c.path.startswith("/response/") for c in calls) >= requests, timeout=600)
    replied = time.perf_counter() - started
    server.should_exit = True

    latencies = sorted(seconds for status, seconds in results if status == 200)
    refused = sum(1 for status, _ in results if status != 200)
    rows = {
        "clients": str(clients),
        "requests": str(requests),
        "refused": str(refused),
        "ack p50 (ms)": f"{statistics.median(latencies) * 1000:.0f}",
        "ack p95 (ms)": f"{latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f}",
        "ack max (ms)": f"{latencies[-1] * 1000:.0f}",
        "all acked (s)": f"{acked:.1f}",
        "all replied (s)": f"{replied:.1f}",
    }
    print(" | ".join(rows))
    print(" | ".join(value.rjust(len(name)) for name, value in rows.items()))
    slack.stop()


if __name__ == "__main__":
    main()
