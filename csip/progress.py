"""Progress on a terminal for work that takes a while (a large import, a report, the demo's first
load); nothing at all when the output is piped or redirected, so scripts and logs stay clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def progress(what: str, stream: TextIO | None = None) -> Iterator[None]:
    """A spinner saying ``what`` while the block runs, on ``stream`` (standard error) if it is a
    terminal; rich draws it and takes it away after."""
    out = stream or sys.stderr
    if not out.isatty():
        yield
        return
    from rich.console import Console

    with Console(file=out).status(what):
        yield
