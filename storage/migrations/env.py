"""Alembic environment: runs on the connection csip hands over, or, when Alembic's own command
is run by hand, on the database CSIP_DATABASE_URL names (SQLite's csip.db by default)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from storage import DEFAULT_DATABASE_URL
from storage.tables import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from storage.database import connect

    with connect(os.environ.get("CSIP_DATABASE_URL", DEFAULT_DATABASE_URL)).begin() as fresh:
        run(fresh)


main()
