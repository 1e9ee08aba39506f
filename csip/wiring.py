"""Putting the parts together from settings."""

from __future__ import annotations

from csip.settings import Settings
from storage.database import connect, migrate
from storage.store import StoreFactory, store_factory


def open_database(settings: Settings) -> StoreFactory:
    """Connect and bring the schema up to date: every command starts here."""
    engine = connect(settings.database_url)
    migrate(engine)
    return store_factory(engine)
