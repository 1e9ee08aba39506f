"""What the benchmark scripts share: a fresh database per size, a statement counter, the table."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event


@contextmanager
def database_url(given: str | None) -> Iterator[str]:
    """``given``, or a fresh SQLite file that is removed afterwards."""
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


class StatementCounter:
    """Counts the SQL statements an engine sends, to show they do not grow with the plan."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        self.count += 1


def print_table(rows: list[dict[str, str]]) -> None:
    """Rows as a Markdown-style table, right-aligned, ready to paste into BENCHMARKS.md."""
    columns = list(rows[0])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
    print(" | ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(row[c].rjust(w) for c, w in zip(columns, widths, strict=True)))
