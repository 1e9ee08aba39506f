"""Log lines: readable on a terminal, one JSON object a line otherwise (for a log collector).

Each line says which Slack request or delivery it is about (``bot.log_context``). What csip
logs never holds a token, a signing secret or a note's text; third-party libraries that would
log request bodies are kept at WARNING.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

from bot.log_context import DELIVERY_ID, REQUEST_ID

READABLE = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("alembic", "matplotlib", "slack_bolt.RequestVerification", "urllib3", "apscheduler.executors")


class JsonLines(logging.Formatter):
    """A record as one JSON object: time (UTC, ISO), level, logger, message, and the request
    or delivery it belongs to; a traceback is folded into one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            line["request_id"] = request_id
        if (delivery_id := DELIVERY_ID.get()) is not None:
            line["delivery_id"] = delivery_id
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class WithIds(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        found = (("request", REQUEST_ID.get()), ("delivery", DELIVERY_ID.get()))
        ids = [f"{name}={value}" for name, value in found if value is not None]
        return f"{text} [{' '.join(ids)}]" if ids else text


def configure(stream: TextIO | None = None, as_json: bool | None = None) -> None:
    """Log to ``stream`` (standard error) at INFO: JSON lines unless it is a terminal."""
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    use_json = (not out.isatty()) if as_json is None else as_json
    handler.setFormatter(JsonLines() if use_json else WithIds(READABLE))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
