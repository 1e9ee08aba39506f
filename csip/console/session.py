"""`csip demo`: the real app in a console workspace, as a chat-bot framework's shell adapter.

The same Bolt app, listeners, Block Kit, storage and scheduler as `csip serve`: each line typed
becomes a request signed as Slack signs them and dispatched to the app; the app's Web API calls
go to ``ConsoleSlack`` on this machine, which prints what a person would see. Messages are
written as text (``bot.as_text``) with their controls numbered, so ``:press N`` presses one.

Lines: ``/csip …`` as in Slack; ``:press N``; ``:as EMAIL`` to be someone else; ``:tick
2017-10-02T09:05`` to run the scheduler at that London time; ``:help``; ``:quit``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import build_app
from bot.as_text import Control, render
from bot.config import Access, BotConfig, SlackConnection
from bot.slack_client import make_client
from bot.work import AtOnce
from csip.console.slack import TEAM, ConsoleSlack, Shown, User
from plan.clock import LONDON
from plan.ports import StoreFactory
from schedules.config import Channels, Schedule
from schedules.tick import run_due

HELP = """Type what you would type in Slack, or:
  /csip help            what the bot answers to (/csip mine, /csip update 5.3 red Panel delayed, …)
  :press N              press control [N] (a form asks for its fields in turn)
  :as EMAIL             be another person of the plan (an owner, a lead)
  :tick YYYY-MM-DDTHH:MM   run the scheduler at that London time (reminders, digest, reports)
  :quit                 leave (so does the end of the input)"""
CHANNELS = {"CDIGEST": "csip-digest", "CGOV": "governance-board", "CMGMT": "management", "CDEMO": "general"}
SCHEDULE = Schedule("default", Channels(("CDIGEST",), "CGOV", "CMGMT", "CMGMT"))


@dataclass
class Pressable:
    control: Control
    shown: Shown


class Console:
    """One session: who is typing, what can be pressed, the app and its local Slack."""

    def __init__(self, open_store: StoreFactory, slack: ConsoleSlack, out: TextIO, now: dt.datetime) -> None:
        self.open_store = open_store
        self.slack = slack
        self.out = out
        self.now = now
        self.pressable: dict[int, Pressable] = {}
        self.next_number = 1
        self.secret = secrets.token_hex(16)
        self.user: User | None = None
        self.lines: Iterator[str] = iter(())
        self.opened_forms: list[dict[str, Any]] = []
        slack.show = self.show
        slack.channel_names.update(CHANNELS)
        admins = frozenset(u.user_id for u in slack.users.values() if u.email.startswith("admin@"))
        config = BotConfig(
            SlackConnection(bot_token="xoxb-console", signing_secret=self.secret, api_url=slack.api_url),
            Access(admins=admins),
        )
        self.client = make_client(config.slack)
        self.app: App = build_app(
            config,
            open_store,
            client=self.client,
            clock=lambda: self.now,
            background=AtOnce(),
            one_at_a_time=True,
        )

    # --- the loop -------------------------------------------------------------------------

    def run(self, lines: Iterator[str], echo: bool) -> None:
        """Read and answer lines until ``:quit`` or the end of the input. Piped (``echo``), each
        line is printed as read, so the output reads as a transcript; at a terminal, a prompt."""
        self.lines = lines
        while True:
            if not echo:
                print(f"\n{self.me().name}> ", end="", file=self.out, flush=True)
            raw = next(lines, None)
            if raw is None:
                return
            line = raw.strip()
            if echo and line:
                self.write(f"\n> {line}")
            if not line:
                continue
            if line in (":quit", ":q", ":exit"):
                return
            self.one(line)

    def one(self, line: str) -> None:
        command, _, rest = line.partition(" ")
        if command.startswith("/"):
            self.slash(command, rest)
        elif command == ":press":
            self.press(rest)
        elif command == ":as":
            self.be(rest)
        elif command == ":tick":
            self.tick(rest)
        elif command == ":help":
            self.write(HELP)
        else:
            self.write("Type /csip …, or :help for what else the console understands.")

    # --- what the person does -------------------------------------------------------------

    def slash(self, command: str, text: str) -> None:
        if command != "/csip":
            self.write(f"{command} is not a command here: try /csip help.")
            return
        user = self.me()
        form = {
            "command": "/csip", "text": text, "user_id": user.user_id, "user_name": user.email.split("@")[0],
            "team_id": TEAM, "channel_id": "CDEMO", "trigger_id": str(uuid.uuid4()),
            "response_url": self.slack.response_url(),
        }  # fmt: skip
        self.dispatch(urlencode(form))
        self.fill_forms()

    def press(self, number_text: str) -> None:
        number = int(number_text) if number_text.strip().isdigit() else -1
        pressable = self.pressable.get(number)
        if pressable is None:
            self.write(f"There is no control [{number_text.strip()}] on screen.")
            return
        control, shown = pressable.control, pressable.shown
        if control.confirm:
            self.write("Slack asks you to confirm: confirmed.")
        user = self.me()
        action: dict[str, Any] = {"action_id": control.action_id, "block_id": control.block_id or ""}
        if "|" in control.value or control.action_id.endswith("_menu"):
            option = {"value": control.value, "text": {"type": "plain_text", "text": control.label}}
            action.update(type="overflow", selected_option=option)
        else:
            action.update(type="button", value=control.value)
        where = {"type": "message", "channel_id": shown.channel or "CDEMO", "message_ts": shown.ts or ""}
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user.user_id, "team_id": TEAM},
            "trigger_id": str(uuid.uuid4()), "response_url": self.slack.response_url(), "actions": [action],
            "container": where, "message": {**shown.message, "ts": shown.ts or ""},
        }  # fmt: skip
        self.dispatch(urlencode({"payload": json.dumps(payload)}))
        self.fill_forms()

    def be(self, email: str) -> None:
        wanted = email.strip().lower()
        found = next((u for u in self.slack.users.values() if u.email == wanted), None)
        if found is None:
            self.write(f"Nobody in this workspace has the e-mail {wanted}.")
            return
        self.user = found
        self.write(f"You are {found.name} ({found.email}).")

    def tick(self, when: str) -> None:
        try:
            local = dt.datetime.fromisoformat(when.strip())
        except ValueError:
            self.write("Say when as 2017-10-02T09:05 (London time).")
            return
        if local.tzinfo is None:
            local = local.replace(tzinfo=LONDON)
        self.now = local.astimezone(dt.UTC)
        report = run_due(self.open_store, self.client, SCHEDULE, self.now)
        self.write(f"(the scheduler at {local:%H:%M} on {local:%A} {local.day} {local:%B %Y}: {report})")

    # --- forms ----------------------------------------------------------------------------

    def fill_forms(self) -> None:
        """A form the app opened asks for its fields, one line each, then is submitted."""
        while self.opened_forms:
            view = self.opened_forms.pop(0)
            values = self.ask_fields(view)
            if values is None:
                self.write("(the form was closed without saving)")
                continue
            user = self.me()
            submitted = {**view, "state": {"values": values}}
            who = {"id": user.user_id, "team_id": TEAM}
            payload = {"type": "view_submission", "team": {"id": TEAM}, "user": who, "view": submitted}
            answer = self.dispatch(urlencode({"payload": json.dumps(payload)}))
            errors = (answer or {}).get("errors")
            if errors:
                self.write("The form says: " + "; ".join(str(e) for e in errors.values()))

    def ask_fields(self, view: dict[str, Any]) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element, label = block["element"], block.get("label", {}).get("text", "")
            answer = self.ask(label, element)
            if answer is None:
                return None
            values[block["block_id"]] = {element["action_id"]: answer}
        return values

    def ask(self, label: str, element: dict[str, Any]) -> dict[str, Any] | None:
        if element.get("type") in ("static_select", "radio_buttons"):
            options = element.get("options", [])
            initial = element.get("initial_option")
            choices = "  ".join(f"({n}) {o['text']['text']}" for n, o in enumerate(options, 1))
            keep = f" [Enter: {initial['text']['text']}]" if initial else ""
            self.write(f"{label}: {choices}{keep}")
            line = self.read()
            if line is None:
                return None
            chosen = initial if not line and initial else _option(options, line)
            if chosen is None:
                self.write(f"'{line}' is not one of the choices; the form is closed.")
                return None
            return {"type": element["type"], "selected_option": chosen}
        self.write(f"{label}:")
        line = self.read()
        return None if line is None else {"type": "plain_text_input", "value": line}

    def read(self) -> str | None:
        line = next(self.lines, None)
        if line is None:
            return None
        self.write(f"> {line.rstrip()}")
        return line.strip()

    # --- talking to the app ---------------------------------------------------------------

    def dispatch(self, body: str) -> dict[str, Any] | None:
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=timestamp, body=body)
        headers: dict[str, str | Sequence[str]] = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": signature or "",
        }
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        if response.status != 200:
            self.write(f"(Slack would show an error: HTTP {response.status})")
            return None
        if response.body and response.body.startswith("{"):
            # A form's "Saving…" is not shown: here the outcome has come before the answer.
            answer: dict[str, Any] = json.loads(response.body)
            return answer
        return None

    def show(self, shown: Shown) -> None:
        if shown.where == "form" and not shown.updated:
            self.opened_forms.append(shown.message)
            self.write(f"\n── a form opens: {shown.message.get('title', {}).get('text', '')} ──")
            return
        names = {user.user_id: user.name for user in self.slack.users.values()}
        rendered = render(shown.message, self.next_number, names)
        for control in rendered.controls:
            self.pressable[control.number] = Pressable(control, shown)
        self.next_number += len(rendered.controls)
        heading = shown.where if shown.where != "only you" else "only you can see this"
        if shown.updated:
            heading += ", updated"
        if shown.thread_ts:
            heading += ", in the thread"
        self.write(f"\n── {heading} ──\n{rendered.text}")

    def me(self) -> User:
        if self.user is None:
            self.user = next(iter(self.slack.users.values()))
        return self.user

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _option(options: list[dict[str, Any]], line: str) -> dict[str, Any] | None:
    if line.isdigit() and 1 <= int(line) <= len(options):
        return options[int(line) - 1]
    for option in options:
        if line.lower() in (option["value"].lower(), option["text"]["text"].lower()):
            return option
    return None
