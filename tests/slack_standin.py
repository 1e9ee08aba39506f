"""A local stand-in for the Slack Web API and response URLs, over real HTTP.

It records every call, answers like Slack does (ok, rate limited with Retry-After, 5xx,
invalid_blocks) and checks every message's blocks against Block Kit's limits, so a reply
that Slack would refuse fails the test that sent it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, Any]

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/").lstrip("/")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


def rate_limited(retry_after: int) -> Answer:
    return Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})


def server_error() -> Answer:
    return Answer(503, {"ok": False, "error": "service_unavailable"})


def blocks_problem(blocks: Any) -> str | None:
    """Why Slack would answer invalid_blocks, or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > MAX_BLOCKS:
        return f"{len(blocks)} blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > SECTION_TEXT_LIMIT:
            return f"section text of {len(text)} characters"
    return None


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, str]] = {}
        self._scripted: dict[str, list[Answer | None]] = {}
        self._posted = 0
        self._accepted: list[dict[str, Any]] = []
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

    def add_user(self, user_id: str, name: str, email: str) -> None:
        self.users[user_id] = {"real_name": name, "email": email}

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

    def _answer(self, path: str, params: dict[str, Any]) -> Answer:
        with self._changed:
            self.calls.append(Call(path, params))
            self._changed.notify_all()
        method = path.removeprefix("/api/").lstrip("/")
        scripted = self._scripted.get(method)
        if scripted:
            answer = scripted.pop(0)
            if answer is not None:
                return answer
        problem = blocks_problem(params.get("blocks") or (params.get("view") or {}).get("blocks"))
        if problem:
            return Answer(200, {"ok": False, "error": "invalid_blocks", "detail": problem})
        if path.startswith(("/response/", "/upload/")):
            return Answer(200, {"ok": True})
        return self._default(method, params)

    def _default(self, method: str, params: dict[str, Any]) -> Answer:
        if method == "auth.test":
            return Answer(body={"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1"})
        if method == "users.info":
            user = self.users.get(params.get("user", ""))
            if user is None:
                return Answer(body={"ok": False, "error": "user_not_found"})
            profile = {"real_name": user["real_name"], "email": user["email"]}
            return Answer(body={"ok": True, "user": {"id": params["user"], "profile": profile}})
        if method == "users.lookupByEmail":
            for user_id, user in self.users.items():
                if user["email"] == params.get("email"):
                    return Answer(body={"ok": True, "user": {"id": user_id}})
            return Answer(body={"ok": False, "error": "users_not_found"})
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            with self._changed:
                self._posted += 1
                ts = f"1700000000.{self._posted:06d}"
                self._accepted.append({**params, "posted_ts": ts})
            dm = "D" + channel[1:] if channel.startswith("U") else channel
            return Answer(body={"ok": True, "channel": dm, "ts": ts})
        if method == "conversations.open":
            return Answer(body={"ok": True, "channel": {"id": "D" + str(params.get("users", ""))[1:]}})
        if method == "files.getUploadURLExternal":
            with self._changed:
                self._posted += 1
                file_id = f"F{self._posted:06d}"
            return Answer(
                body={"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
            )
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files", "[]")) if isinstance(params.get("files"), str) else []
            return Answer(
                body={"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
            )
        if method == "views.open":
            return Answer(body={"ok": True, "view": {"id": "V1"}})
        return Answer(body={"ok": True})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/upload/"):  # a file's bytes, for files_upload_v2
                    params: dict[str, Any] = {"content": raw}
                else:
                    params = _parse(raw.decode(), self.headers.get("Content-Type", ""))
                answer = standin._answer(self.path, params)
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        data = json.loads(raw or "{}")
        return data if isinstance(data, dict) else {}
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw).items()}
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
