"""Slack's Web API and response URLs, answered on this machine for the console workspace.

The app talks to it exactly as to Slack, over HTTP on the loopback interface: slack_sdk's
client, Bolt's ``respond``, ``files_upload_v2``. Each call is answered as Slack would and what
a person would see (a message in a channel or a DM, an ephemeral reply, a form) is handed to
``show``. Nothing leaves the machine.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

TEAM = "TDEMO"
BOT_USER = "UCSIP"


@dataclass
class User:
    user_id: str
    name: str
    email: str


@dataclass(frozen=True)
class Shown:
    """Something a person would see: where, what, and the message's place if it can be pressed."""

    where: str  # "#channel", "DM to …", "only you", "form"
    message: dict[str, Any]
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    updated: bool = False


@dataclass
class ConsoleSlack:
    """The local Slack: users, channels' names, the messages posted, the files uploaded."""

    show: Callable[[Shown], None]
    files: Path
    users: dict[str, User] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    _count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _uploads: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # --- serving --------------------------------------------------------------------------

    def start(self) -> ConsoleSlack:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self) -> str:
        return f"{self.base}/response/{next(self._count)}"

    # --- the Web API ----------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": True}
        result: dict[str, Any] = handler(params)
        return result

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BCSIP"}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        profile = {"real_name": user.name, "email": user.email}
        return {"ok": True, "user": {"id": user.user_id, "profile": profile}}

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        for user in self.users.values():
            if user.email == str(params.get("email", "")).lower():
                return {"ok": True, "user": {"id": user.user_id}}
        return {"ok": False, "error": "users_not_found"}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": _dm(str(params.get("users", "")))}}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "messages": [], "has_more": False}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "messages": [], "has_more": False}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _dm(str(params.get("channel", "")))
        ts = self._ts()
        message = {"text": params.get("text", ""), "blocks": params.get("blocks") or []}
        with self._lock:
            self.messages[(channel, ts)] = message
        thread = params.get("thread_ts")
        self.show(Shown(self._where(channel), message, channel, ts, str(thread) if thread else None))
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        message = {"text": params.get("text", ""), "blocks": params.get("blocks") or []}
        with self._lock:
            self.messages[(channel, ts)] = message
        self.show(Shown(self._where(channel), message, channel, ts, updated=True))
        return {"ok": True, "channel": channel, "ts": ts}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = f"V{next(self._count)}"
        view = {**params["view"], "id": view_id}
        self.views[view_id] = view
        self.show(Shown("form", view))
        return {"ok": True, "view": view}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = str(params.get("view_id"))
        view = {**params["view"], "id": view_id}
        self.views[view_id] = view
        self.show(Shown("form", view, updated=True))
        return {"ok": True, "view": view}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._count)}"
        self._uploads[file_id] = str(params.get("filename", "file"))
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = (
            json.loads(params["files"]) if isinstance(params.get("files"), str) else params.get("files", [])
        )
        channel = str(params.get("channel_id", ""))
        for item in files:
            path = self.files / self._uploads.get(item["id"], item["id"])
            upload = {"title": item.get("title") or path.name, "filename": str(path)}
            self.show(
                Shown(self._where(channel), {"upload": upload}, channel, thread_ts=params.get("thread_ts"))
            )
        return {"ok": True, "files": [{"id": item["id"]} for item in files]}

    def upload(self, file_id: str, content: bytes) -> None:
        (self.files / self._uploads.get(file_id, file_id)).write_bytes(content)

    def respond(self, params: dict[str, Any]) -> None:
        """A reply through a response URL: ephemeral, seen only by whoever asked."""
        self.show(Shown("only you", {"text": params.get("text", ""), "blocks": params.get("blocks") or []}))

    # --- helpers --------------------------------------------------------------------------

    def _ts(self) -> str:
        return f"1506931200.{next(self._count):06d}"

    def _where(self, channel: str) -> str:
        if channel.startswith("D"):
            user = self.users.get("U" + channel[1:])
            return f"DM to {user.name if user else channel}"
        return "#" + self.channel_names.get(channel, channel)


def _dm(channel: str) -> str:
    """A post to a person goes to their DM conversation: U123 is D123 here."""
    return "D" + channel[1:] if channel.startswith("U") else channel


def _handler(slack: ConsoleSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            params = {k: v[0] for k, v in parse_qs(query).items()}
            self._send(slack.answer(path.removeprefix("/api/"), params))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/upload/"):
                slack.upload(self.path.removeprefix("/upload/"), raw)
                self._send({"ok": True})
                return
            params = parse_call(raw.decode(), self.headers.get("Content-Type", ""))
            if self.path.startswith("/response/"):
                slack.respond(params)
                self._send({"ok": True})
                return
            self._send(slack.answer(self.path.removeprefix("/api/"), params))

        def _send(self, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def parse_call(raw: str, content_type: str) -> dict[str, Any]:
    """A Web API call's arguments, as slack_sdk sends them: JSON, or a form whose ``blocks`` and
    ``view`` are JSON strings."""
    if "json" in content_type:
        data = json.loads(raw or "{}")
        return data if isinstance(data, dict) else {}
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw).items()}
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
