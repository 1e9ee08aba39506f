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

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions. A new migration must change this too:
# tests/test_startup.py fails until it matches Alembic's own idea of the head.
HEAD_REVISION = "0006"
VERSION_TABLE = "alembic_version"  # Alembic's default, which migrations/env.py keeps


def connect(url: str) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


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
