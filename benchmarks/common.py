"""What the benchmark scripts share: fresh databases, a statement counter, the table."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url


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


@contextmanager
def scratch_databases(given: str | None, names: Sequence[str]) -> Iterator[dict[str, str]]:
    """An empty database for each name, for scripts that serve several plans at once.

    With no ``given`` URL: SQLite files in a temporary folder, removed afterwards. With a
    PostgreSQL URL: a schema per name inside that database (``bench_<name>``, dropped first if
    left from an earlier run, and dropped afterwards), reached through ``search_path`` in the
    URL's ``options``, so nothing else in the database is touched. With a SQLite URL: files
    named ``<file>-<name>.db`` beside it, replaced if present and kept afterwards.
    """
    if not given:
        with tempfile.TemporaryDirectory() as folder:
            yield {name: f"sqlite:///{Path(folder) / f'{name}.db'}" for name in names}
        return
    url = make_url(given)
    if url.get_backend_name() == "sqlite":
        base = Path(url.database or "bench.db")
        paths = {name: base.with_name(f"{base.stem}-{name}.db") for name in names}
        for path in paths.values():
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
        yield {name: f"sqlite:///{path}" for name, path in paths.items()}
        return
    schemas = {name: f"bench_{name}" for name in names}
    admin = create_engine(url.set(drivername="postgresql+psycopg"))

    def drop_all() -> None:
        with admin.begin() as connection:
            for schema in schemas.values():
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    drop_all()
    with admin.begin() as connection:
        for schema in schemas.values():
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {
            name: url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
                hide_password=False
            )
            for name, schema in schemas.items()
        }
    finally:
        drop_all()
        admin.dispose()


def empty_database(url: str) -> None:
    """Start afresh: remove a SQLite file, or drop and recreate a PostgreSQL database's public
    schema (as tests/conftest.py resets its database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        return
    engine = create_engine(parsed.set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
