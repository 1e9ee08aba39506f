"""Putting the parts together from settings.

Only the command line's run functions import this module, so SQLAlchemy is loaded by the
commands that use the database and never by `csip --help`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from storage.database import connect, migrate
from storage.requests import SqlSeenRequests
from storage.store import SqlStoreFactory, store_factory

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.health import Health
    from csip.settings import Settings
    from schedules.workspaces import Workspaces


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


_delivery_counts: Any = None


def serving_health(settings: Settings, engine: Engine) -> Health:
    """/readyz's checks, and the deliveries pending, sending and failed counted on each scrape."""
    from prometheus_client.core import GaugeMetricFamily

    from bot.health import Health
    from bot.metrics import REGISTRY
    from plan.deliveries import FAILED, PENDING, SENDING
    from storage.deliveries import database_answers, deliveries_by_status

    class DeliveryCounts:
        def collect(self) -> Iterator[GaugeMetricFamily]:
            family = GaugeMetricFamily("csip_deliveries", "Scheduled messages by status", labels=["status"])
            try:
                counts = deliveries_by_status(engine, [PENDING, SENDING, FAILED])
            except Exception:  # the database is down: /readyz says so; the scrape still answers
                return
            for status, count in counts.items():
                family.add_metric([status], count)
            yield family

    global _delivery_counts
    if _delivery_counts is not None:  # one collector a process, for the database serving now
        REGISTRY.unregister(_delivery_counts)
    _delivery_counts = DeliveryCounts()
    REGISTRY.register(_delivery_counts)
    return Health(lambda: database_answers(engine), settings.tick_minutes)


def workspaces_served(settings: Settings, engine: Engine, client: WebClient | None = None) -> Workspaces:
    """Whom the scheduler sends for: the bot token's workspace (with ``client``, else one made
    from the settings), or every workspace csip is installed in."""
    from bot.slack_client import make_client
    from csip.installations import installs
    from plan.errors import SetupError
    from schedules.workspaces import OneWorkspace

    found = installs(settings, engine)
    if found is not None:
        from bot.installs import InstalledWorkspaces

        return InstalledWorkspaces(found.bot_token_of, settings.slack())
    if not settings.slack_bot_token:
        raise SetupError("SLACK_BOT_TOKEN is not set: csip needs it to send.")
    return OneWorkspace(settings.team_id, client or make_client(settings.slack()))
