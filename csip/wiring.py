"""Putting the parts together from settings.

Only the command line's run functions import this module, so SQLAlchemy is loaded by the
commands that use the database and never by `csip --help`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from storage.database import connect, migrate
from storage.requests import SqlSeenRequests
from storage.store import SqlStoreFactory, store_factory

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    from bot.health import Health
    from bot.installs import Installs
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


def installs(settings: Settings, engine: Engine) -> Installs | None:
    """Slack's installations and the install flow's states, kept by slack_sdk's SQLAlchemy
    stores in csip's own database (migration 0007 made their tables): None for a
    single-workspace install."""
    client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
    if not settings.several_workspaces or not client_id or not client_secret:
        return None
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    from bot.installs import Installs
    from csip.manifest import BOT_SCOPES

    installations = SQLAlchemyInstallationStore(client_id, engine)
    return Installs(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        installations=installations,
        states=_bounded_states(engine),
        bot_token_of=_bot_token_of(installations),
    )


def _bot_token_of(installations: SQLAlchemyInstallationStore) -> Callable[[str], str | None]:
    """A workspace's bot token by its team id alone. slack_sdk's ``find_bot`` wants the
    enterprise id too (NULL outside an Enterprise Grid org), which the scheduler does not know:
    its newest bot row says it. An org-wide install (no team id) is not served."""
    from sqlalchemy import select

    bots = installations.bots

    def bot_token_of(team: str) -> str | None:
        with installations.engine.connect() as connection:
            enterprise = connection.scalar(
                select(bots.c.enterprise_id)
                .where(bots.c.client_id == installations.client_id, bots.c.team_id == team)
                .order_by(bots.c.installed_at.desc())
                .limit(1)
            )
        bot = installations.find_bot(enterprise_id=enterprise, team_id=team)
        return str(bot.bot_token) if bot is not None and bot.bot_token else None

    return bot_token_of


def _bounded_states(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """slack_sdk's OAuth state store, which forgets a state only when it is used: here, states
    past their expiry are deleted as each install begins, and no more than
    ``bot.installs.MAX_OPEN_INSTALLS`` may be waiting, since anyone may open the install page."""
    from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
    from sqlalchemy import delete, func, select

    from bot.installs import MAX_OPEN_INSTALLS, TooManyInstalls

    class BoundedStates(SQLAlchemyOAuthStateStore):
        def issue(self, *args: Any, **kwargs: Any) -> str:
            states = self.oauth_states
            with self.engine.begin() as connection:
                now = normalize_datetime_for_db(dt.datetime.now(dt.UTC))  # as slack_sdk keeps it
                connection.execute(delete(states).where(states.c.expire_at <= now))
                waiting = connection.scalar(select(func.count()).select_from(states))
            if (waiting or 0) >= MAX_OPEN_INSTALLS:
                raise TooManyInstalls()
            state: str = super().issue(*args, **kwargs)
            return state

    return BoundedStates(600, engine)


def workspaces_served(settings: Settings, engine: Engine, client: WebClient | None = None) -> Workspaces:
    """Whom the scheduler sends for: the bot token's workspace (with ``client``, else one made
    from the settings), or every workspace csip is installed in."""
    from bot.slack_client import make_client
    from plan.errors import SetupError
    from schedules.workspaces import OneWorkspace

    found = installs(settings, engine)
    if found is not None:
        from bot.installs import InstalledWorkspaces

        return InstalledWorkspaces(found.bot_token_of, settings.slack())
    if not settings.slack_bot_token:
        raise SetupError("SLACK_BOT_TOKEN is not set: csip needs it to send.")
    return OneWorkspace(settings.team_id, client or make_client(settings.slack()))
