"""Connecting to the database and bringing its schema up to date.

Every `csip` command calls :func:`migrate` first, and importing and running Alembic takes
about a tenth of a second even when there is nothing to do. So :func:`migrate` first reads the
schema's revision with plain SQLAlchemy and imports Alembic only when that is not
:data:`HEAD_REVISION`: on a fresh database, or after an upgrade of csip that brought a new
migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from plan.errors import SetupError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions. A new migration must change this too:
# tests/test_startup.py fails until it matches Alembic's own idea of the head.
HEAD_REVISION = "0007"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps


def connect(url: str) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg 3.

    A URL csip cannot use is refused in a sentence that names CSIP_DATABASE_URL; so is a SQLite
    file whose folder does not exist (SQLite would fail later, less clearly)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SetupError(f"CSIP_DATABASE_URL {url!r} is not a database URL: {EXAMPLE_URLS}.") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise SetupError(f"CSIP_DATABASE_URL names {parsed.drivername!r}: csip runs on {EXAMPLE_URLS}.")
    if parsed.get_backend_name() == "sqlite":
        _check_folder(parsed.database)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


EXAMPLE_URLS = "SQLite (sqlite:///csip.db) or PostgreSQL (postgresql://user@host/database)"


def _check_folder(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).expanduser().resolve().parent
    if not folder.is_dir():
        raise SetupError(
            f"the folder for the SQLite database, {folder}, does not exist: create it, or point "
            "CSIP_DATABASE_URL elsewhere."
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_revisions(connection: Connection) -> set[str]:
    """The revisions Alembic has recorded as applied; none on a database it has never touched."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def migrate(engine: Engine) -> None:
    """Run every migration not yet applied; a fresh database is created this way."""
    with engine.begin() as connection:
        if schema_revisions(connection) == {HEAD_REVISION}:
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
