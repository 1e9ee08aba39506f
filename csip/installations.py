"""Slack's installations and the install flow's states, in csip's own database.

slack_sdk's SQLAlchemy stores keep them (migration 0007 made their tables), with two things
added here: a workspace's bot token found by its team id alone, and a bound on installs begun.
Only `csip serve`, `run-due` and `doctor` import this, when csip serves several workspaces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, delete, func, select

from bot import installs as bot_installs
from bot.installs import Installs, TooManyInstalls
from csip.manifest import BOT_SCOPES
from csip.settings import Settings

STATE_SECONDS = 600  # an install begun must be finished within ten minutes


def installs(settings: Settings, engine: Engine) -> Installs | None:
    """Slack's installations and the install flow's states, kept by slack_sdk's SQLAlchemy
    stores in csip's own database (migration 0007 made their tables): None for a
    single-workspace install."""
    client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
    if not settings.several_workspaces or not client_id or not client_secret:
        return None
    installations = SQLAlchemyInstallationStore(client_id, engine)
    return Installs(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        installations=installations,
        states=_bounded_states(engine),
        state_seconds=STATE_SECONDS,
        bot_token_of=_bot_token_of(installations),
    )


def _bot_token_of(installations: SQLAlchemyInstallationStore) -> Callable[[str], str | None]:
    """A workspace's bot token by its team id alone. slack_sdk's ``find_bot`` wants the
    enterprise id too (NULL outside an Enterprise Grid org), which the scheduler does not know:
    its newest bot row says it. An org-wide install (no team id) is not served."""
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

    class BoundedStates(SQLAlchemyOAuthStateStore):
        def issue(self, *args: Any, **kwargs: Any) -> str:
            states = self.oauth_states
            with self.engine.begin() as connection:
                now = normalize_datetime_for_db(dt.datetime.now(dt.UTC))  # as slack_sdk keeps it
                connection.execute(delete(states).where(states.c.expire_at <= now))
                waiting = connection.scalar(select(func.count()).select_from(states))
            if (waiting or 0) >= bot_installs.MAX_OPEN_INSTALLS:
                raise TooManyInstalls()
            state: str = super().issue(*args, **kwargs)
            return state

    return BoundedStates(STATE_SECONDS, engine)
