"""Sending Slack-shaped requests, signed as Slack signs them, to the running app."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from tests.slack_standin import SlackStandIn


@dataclass
class SlackHttp:
    url: str
    secret: str
    slack: SlackStandIn

    def post(
        self,
        form: dict[str, str],
        *,
        age_seconds: int = 0,
        signature: str | None = None,
        signed: bool = True,
    ) -> tuple[int, str]:
        body = urlencode(form)
        # Slack's signature carries the send time; Bolt refuses one over five minutes old.
        timestamp = str(int(time.time()) - age_seconds)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            headers["X-Slack-Request-Timestamp"] = timestamp
            genuine = SignatureVerifier(self.secret).generate_signature(timestamp=timestamp, body=body)
            headers["X-Slack-Signature"] = signature or genuine or ""
        request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def command(self, user_id: str, text: str, *, response: str = "r1", **kwargs: Any) -> tuple[int, str]:
        return self.post(self.command_form(user_id, text, response), **kwargs)

    def command_form(self, user_id: str, text: str, response: str = "r1") -> dict[str, str]:
        """The form Slack posts for `/csip <text>` typed by ``user_id``."""
        return {
            "command": "/csip",
            "text": text,
            "user_id": user_id,
            "team_id": "T1",
            "channel_id": "C1",
            "trigger_id": "trigger-1",
            "response_url": self.slack.response_url(response),
        }

    def reply_to(self, user_id: str, text: str, response: str = "r1") -> dict[str, Any]:
        """Send a command and wait for the ephemeral reply the app posts after its ack."""
        status, _ = self.command(user_id, text, response=response)
        assert status == 200
        return self.slack.wait_for_response(response)[-1]

    def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        return self.post({"payload": json.dumps(payload)})

    # --- requests as an attacker or a broken client might send them ----------------------

    def signed_headers(self, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        """Slack's headers for ``body``: its timestamp (now unless given) and its signature."""
        timestamp = timestamp or str(int(time.time()))
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=timestamp, body=body.decode())
        return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature or ""}

    def command_body(self, user_id: str, text: str, response: str = "r1") -> bytes:
        return urlencode(self.command_form(user_id, text, response)).encode()

    def send(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST ``body`` as it is, with ``headers`` (a form's content type unless given)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def send_partly(self, head: dict[str, str], parts: list[bytes]) -> int:
        """Send a request's head and then ``parts`` of its body, raw, over a socket, and return
        the status the server answers with, without sending the rest of a declared body."""
        where = urlsplit(self.url)
        lines = [
            f"POST {where.path} HTTP/1.1",
            f"Host: {where.netloc}",
            *(f"{k}: {v}" for k, v in head.items()),
        ]
        with socket.create_connection((where.hostname or "", where.port or 80), timeout=10) as connection:
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            for part in parts:
                connection.sendall(part)
            status_line = connection.makefile("rb").readline().decode()
        return int(status_line.split()[1])
