"""Putting the parts together from settings.

Only the command line's run functions import this module, so SQLAlchemy is loaded by the
commands that use the database and never by `csip --help`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.database import connect, migrate
from storage.requests import SqlSeenRequests
from storage.store import SqlStoreFactory, store_factory

if TYPE_CHECKING:
    from csip.settings import Settings


def open_database(settings: Settings) -> SqlStoreFactory:
    """Connect and bring the schema up to date: every command starts here.

    On a database already at the newest revision this is one read of `alembic_version`;
    Alembic itself is imported only when there is a migration to run.
    """
    return open_serving(settings)[0]


def open_serving(settings: Settings) -> tuple[SqlStoreFactory, SqlSeenRequests]:
    """:func:`open_database`, and the signatures of Slack requests already accepted, kept in
    the same database."""
    engine = connect(settings.database_url)
    migrate(engine)
    return store_factory(engine), SqlSeenRequests(engine)
