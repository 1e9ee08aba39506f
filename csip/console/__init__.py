"""`csip demo`: the example plan in a console workspace, with no Slack, token or network."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from csip.console.session import Console
from csip.console.slack import ConsoleSlack, User
from csip.progress import progress
from csip.sample_plan import write_sample_trackers
from csip.settings import Settings
from csip.wiring import open_database
from plan.clock import LONDON, utc_now
from plan.errors import SetupError
from plan.ports import StoreFactory
from plan.service import existing_plan, find_action, import_sheet
from sheets.files import read_grid
from sheets.rows import read_sheet

MONDAY = dt.datetime(2017, 10, 2, 9, 0, tzinfo=LONDON)  # the demo starts the Monday after September
ADMIN = User("UADMIN", "Demo Administrator", "admin@anyborough.example")
TRACKERS = (("August", dt.date(2017, 8, 31)), ("September", dt.date(2017, 9, 30)))


def run_demo(database_url: str | None, lines: Iterator[str], out: TextIO, echo: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="csip-demo-") as folder:
        files = Path(folder)
        url = database_url or f"sqlite:///{files / 'csip-demo.db'}"
        print("csip demo: loading the example plan…", file=out, flush=True)
        with progress("Importing the August and September 2017 trackers…"):
            open_store = open_database(Settings(database_url=url))
            load_example(open_store, files)
        slack = ConsoleSlack(show=lambda shown: None, files=files).start()
        try:
            owner = add_people(open_store, slack)
            console = Console(open_store, slack, out, MONDAY.astimezone(dt.UTC))
            console.user = owner
            console.write(introduction(owner))
            console.run(lines, echo)
        finally:
            slack.stop()
    return 0


def load_example(open_store: StoreFactory, folder: Path) -> None:
    """The August and September trackers, each imported as of its month's end, as an officer
    backfills them: "as at 31 August 2017" then gives the committee's figures."""
    with open_store() as store:
        if store.find_plan_id("default") is not None:
            raise SetupError(
                "that database holds a plan already, and the demo would change it and send its "
                "messages: give csip demo an empty database, or none (it makes a temporary one)."
            )
    for path, (_, as_of) in zip(write_sample_trackers(folder), TRACKERS, strict=True):
        with open_store() as store:
            import_sheet(store, "default", read_sheet(read_grid(path)).rows, now=utc_now(), as_of=as_of)


def add_people(open_store: StoreFactory, slack: ConsoleSlack) -> User:
    """Everyone in the plan is a user of the console workspace, as they would be in Slack; the
    owner of 5.3 types first."""
    with open_store() as store:
        plan_id = existing_plan(store, "default")
        people = store.load(plan_id).people
        _, action = find_action(store, plan_id, "5.3")
    for number, person in enumerate(sorted(people.values(), key=lambda p: p.email or ""), 1):
        slack.users[f"U{number:03d}"] = User(f"U{number:03d}", person.name, (person.email or "").lower())
    slack.users[ADMIN.user_id] = ADMIN
    owner = people.get(action.owner_id) if action.owner_id is not None else None
    found = next((u for u in slack.users.values() if owner and u.email == (owner.email or "").lower()), None)
    return found or ADMIN


def introduction(user: User) -> str:
    return (
        "The example plan: 306 actions in 10 priorities, backfilled for August and September 2017.\n"
        f"It is {MONDAY:%A} {MONDAY.day} {MONDAY:%B %Y}, {MONDAY:%H:%M}. "
        f"You are {user.name} ({user.email}), who owns action 5.3.\n"
        "Try /csip mine, /csip update 5.3 red Panel delayed, /csip report 31/08/2017, "
        ":tick 2017-10-02T09:05; :help for more."
    )
