"""``plan.ports.SeenRequests`` in SQL: each accepted request's signature, kept for a while."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from storage.tables import SeenRequestRow


class SqlSeenRequests:
    """One short transaction a call, on a connection of its own (not a plan store's session)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    def first_time(self, signature: str, now: dt.datetime, window: dt.timedelta) -> bool:
        insert = self.dialect.insert(SeenRequestRow).values(signature=signature, seen_at=now)
        with self.engine.begin() as connection:
            # Insert-if-absent in one statement: of two requests with one signature at once,
            # exactly one inserts the row.
            # RETURNING says whether it did (psycopg's rowcount does not, for this statement).
            statement = insert.on_conflict_do_nothing().returning(SeenRequestRow.signature)
            added = connection.execute(statement).first() is not None
            if added:
                connection.execute(delete(SeenRequestRow).where(SeenRequestRow.seen_at < now - window))
        return added
