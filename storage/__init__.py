"""The plan store in SQL (SQLAlchemy 2, Alembic)."""

# The embedded default: a SQLite file in the working directory, no server needed.
DEFAULT_DATABASE_URL = "sqlite:///csip.db"
