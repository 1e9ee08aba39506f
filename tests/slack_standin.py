"""A local stand-in for the Slack Web API and response URLs, over real HTTP.

It records every call, answers like Slack does (ok, rate limited with Retry-After, 5xx,
invalid_blocks) and checks every message's blocks against Block Kit's limits, so a reply
that Slack would refuse fails the test that sent it. It keeps what was posted, so history and
threads can be read back (with message metadata, as Slack gives it when asked), and a scripted
answer can post the message yet never answer: hang up, or answer only after the client gave up.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from csip.console.slack import parse_call

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, Any]
    token: str | None = None  # the bearer token the call was made with

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/").lstrip("/")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    accept: bool = False  # do what Slack would with the call (post the message) first
    hang_up: bool = False  # close the connection without answering
    hold: threading.Event | None = None  # answer only once this is set (the client has given up)


def accepted_then_hung_up() -> Answer:
    """Slack posted the message, but the answer never arrived."""
    return Answer(accept=True, hang_up=True)


def accepted_then_late(release: threading.Event) -> Answer:
    """Slack posted the message and answered after ``release``, after the client's timeout."""
    return Answer(accept=True, hold=release)


def late_without_posting(release: threading.Event) -> Answer:
    """Slack did not post, and timed out (the client sees the same as for a late answer)."""
    return Answer(503, {"ok": False, "error": "service_unavailable"}, hold=release)


def rate_limited(retry_after: int) -> Answer:
    return Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def server_error() -> Answer:
    return Answer(503, {"ok": False, "error": "service_unavailable"})


def blocks_problem(blocks: Any) -> str | None:
    """Why Slack would answer invalid_blocks, or None: each block is read by slack_sdk's Block
    Kit models, which check their own limits (text lengths, fields, elements), and a few limits
    the models leave out are checked here."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > MAX_BLOCKS:
        return f"{len(blocks)} blocks"
    for block in blocks:
        model = Block.parse(block)
        if model is None:
            return f"a block of unknown type {block.get('type')!r}"
        try:
            model.validate_json()
        except SlackObjectFormationError as error:
            return f"{block.get('type')}: {error}"
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > SECTION_TEXT_LIMIT:
            return f"section text of {len(text)} characters"
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("type") == "overflow" and not 2 <= len(element.get("options", [])) <= 5:
                return f"an overflow menu of {len(element['options'])} options"
    return None


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, str]] = {}
        self.channels: dict[str, dict[str, Any]] = {}  # conversations.info: id -> name, is_member
        self.teams: dict[str, str] = {}  # bot token: its workspace, for auth.test (else T1)
        self.installs: dict[str, dict[str, Any]] = {}  # OAuth code: what oauth.v2.access gives
        self._scripted: dict[str, list[Answer | None]] = {}
        self._posted = 0
        self._accepted: list[dict[str, Any]] = []
        self._conversations: dict[str, list[dict[str, Any]]] = {}  # channel id: messages, oldest first
        self._filenames: dict[str, str] = {}  # file id: name, between upload URL and completion
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        # serve_forever notices a shutdown only between polls: a short poll lets stop() return
        # at once instead of after the default half second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    # --- set-up -------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()  # waits for serve_forever to return
        self._thread.join()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/response/{name}"

    def add_user(self, user_id: str, name: str, email: str, *, slack_admin: bool = False) -> None:
        """``slack_admin``: an admin of the workspace in Slack (``is_admin`` in users.info)."""
        self.users[user_id] = {
            "real_name": name,
            "email": email,
            **({"is_admin": "yes"} if slack_admin else {}),
        }

    def script(self, method: str, *answers: Answer | None) -> None:
        """The next calls to ``method`` get these answers, in order (None: answer as usual)."""
        self._scripted.setdefault(method, []).extend(answers)

    # --- reading what happened ----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 10) -> list[Call]:
        """Block until the recorded calls satisfy ``predicate`` (the app replies after its ack)."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.calls), timeout=timeout):
                raise AssertionError(f"timed out; calls so far: {[c.path for c in self.calls]}")
            return list(self.calls)

    def uploaded(self) -> list[bytes]:
        """The bytes of every file uploaded through files_upload_v2."""
        with self._changed:
            return [call.params["content"] for call in self.calls if call.path.startswith("/upload/")]

    def posted(self) -> list[dict[str, Any]]:
        """Messages Slack accepted (a 429 or an error is not a post), with the ts each was given."""
        with self._changed:
            return list(self._accepted)

    def wait_for_response(self, name: str = "r1", count: int = 1) -> list[dict[str, Any]]:
        path = f"/response/{name}"
        calls = self.wait_for(lambda calls: sum(c.path == path for c in calls) >= count)
        return [call.params for call in calls if call.path == path]

    # --- answering ----------------------------------------------------------------------

    def _answer(self, path: str, params: dict[str, Any], token: str | None = None) -> Answer:
        with self._changed:
            self.calls.append(Call(path, params, token))
            self._changed.notify_all()
        method = path.removeprefix("/api/").lstrip("/")
        scripted = self._scripted.get(method)
        if scripted:
            answer = scripted.pop(0)
            if answer is not None:
                if answer.accept:
                    self._default(method, params, token)
                return answer
        problem = blocks_problem(params.get("blocks") or (params.get("view") or {}).get("blocks"))
        if problem:
            return Answer(200, {"ok": False, "error": "invalid_blocks", "detail": problem})
        if path.startswith(("/response/", "/upload/")):
            return Answer(200, {"ok": True})
        return self._default(method, params, token)

    def _default(self, method: str, params: dict[str, Any], token: str | None = None) -> Answer:
        if method == "auth.test":
            team = self.teams.get(token or "", "T1")
            return Answer(body={"ok": True, "user_id": "UBOT", "team_id": team, "bot_id": "B" + team})
        if method == "oauth.v2.access":
            installed = self.installs.get(str(params.get("code", "")))
            if installed is None:
                return Answer(body={"ok": False, "error": "invalid_code"})
            return Answer(body={"ok": True, **installed})
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return Answer(body={"ok": False, "error": "user_not_found"})
            profile = {"real_name": user["real_name"], "email": user["email"]}
            shown = {"id": params["user"], "profile": profile, "is_admin": "is_admin" in user}
            return Answer(body={"ok": True, "user": shown})
        if method == "users.lookupByEmail":
            for user_id, user in self.users.items():
                if user["email"] == params.get("email"):
                    return Answer(body={"ok": True, "user": {"id": user_id}})
            return Answer(body={"ok": False, "error": "users_not_found"})
        if method == "chat.postMessage":
            channel = _conversation_id(str(params.get("channel", "")))
            with self._changed:
                ts = self._next_ts()
                self._accepted.append({**params, "posted_ts": ts})
                self._keep(channel, {**_as_slack_shows(params), "ts": ts})
            return Answer(body={"ok": True, "channel": channel, "ts": ts})
        if method in ("conversations.history", "conversations.replies"):
            return Answer(body={"ok": True, "messages": self._read(method, params), "has_more": False})
        if method == "conversations.info":
            known = self.channels.get(str(params.get("channel", "")))
            if known is None:
                return Answer(body={"ok": False, "error": "channel_not_found"})
            return Answer(body={"ok": True, "channel": {"id": params["channel"], **known}})
        if method == "conversations.open":
            return Answer(body={"ok": True, "channel": {"id": "D" + str(params.get("users", ""))[1:]}})
        if method == "files.getUploadURLExternal":
            with self._changed:
                self._posted += 1
                file_id = f"F{self._posted:06d}"
                self._filenames[file_id] = str(params.get("filename", ""))
            return Answer(
                body={"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
            )
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files", "[]")) if isinstance(params.get("files"), str) else []
            if params.get("channel_id"):
                with self._changed:
                    shared = [{"id": f["id"], "name": self._filenames.get(f["id"], "")} for f in files]
                    message = {"files": shared, "ts": self._next_ts(), "thread_ts": params.get("thread_ts")}
                    self._keep(str(params["channel_id"]), message)
            return Answer(
                body={"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
            )
        if method == "views.open":
            return Answer(body={"ok": True, "view": {"id": "V1"}})
        return Answer(body={"ok": True})

    def _next_ts(self) -> str:
        """A message's ts: when it was posted, as Slack's is (tests' clocks are in the past), and
        unique by a count."""
        self._posted += 1
        return f"{int(time.time())}.{self._posted:06d}"

    def _keep(self, channel: str, message: dict[str, Any]) -> None:
        self._conversations.setdefault(channel, []).append(message)

    def _read(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """A channel's top-level messages, or one thread, newest first, as Slack returns them."""
        with self._changed:
            messages = list(self._conversations.get(str(params.get("channel", "")), []))
        oldest = float(params.get("oldest") or 0)
        if method == "conversations.history":
            chosen = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
        else:
            parent = str(params.get("ts"))
            chosen = [m for m in messages if parent in (m["ts"], m.get("thread_ts"))]
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = [
            {k: v for k, v in m.items() if with_metadata or k != "metadata"}
            for m in chosen
            if float(m["ts"]) > oldest
        ]
        return list(reversed(shown))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/upload/"):  # a file's bytes, for files_upload_v2
                    params: dict[str, Any] = {"content": raw}
                else:
                    params = parse_call(raw.decode(), self.headers.get("Content-Type", ""))
                self._reply(standin._answer(self.path, params, self._token()))

            def do_GET(self) -> None:  # conversations.history and .replies are GETs
                path, _, query = self.path.partition("?")
                params = {k: v[0] for k, v in parse_qs(query).items()}
                self._reply(standin._answer(path, params, self._token()))

            def _token(self) -> str | None:
                auth = self.headers.get("Authorization") or ""
                return auth.removeprefix("Bearer ") or None

            def _reply(self, answer: Answer) -> None:
                if answer.hold is not None:
                    answer.hold.wait(timeout=10)
                if answer.hang_up:
                    self.close_connection = True
                    return
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # a late answer: the client left
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _conversation_id(channel: str) -> str:
    """A post to a person goes to their DM conversation: U123 becomes D123 here."""
    return "D" + channel[1:] if channel.startswith("U") else channel


def _as_slack_shows(params: dict[str, Any]) -> dict[str, Any]:
    """A posted message as history returns it: its metadata parsed, as Slack keeps it."""
    message = {k: v for k, v in params.items() if k in ("text", "blocks", "thread_ts", "metadata")}
    if isinstance(message.get("metadata"), str):
        message["metadata"] = json.loads(message["metadata"])
    return message
