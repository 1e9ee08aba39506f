"""What the Slack side needs to know, handed down from the settings by the `csip` command.

The bot never reads the environment itself: the command line reads it once (`csip.settings`)
and passes these small objects down, so tests and other entry points build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_TEAM = "default"  # the plan of a single-workspace install


@dataclass(frozen=True)
class SlackConnection:
    """How to reach Slack: the bot token, the signing secret for HTTP, the app token for
    Socket Mode, and the Web API's base URL (GovSlack and tests use another host)."""

    bot_token: str | None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = "https://slack.com/api/"


@dataclass(frozen=True)
class Access:
    """Whose plan a request works on, and who may reschedule and reassign any action.

    ``default_team``: the plan the bot token's own workspace works on when it has none of its
    own; None when csip is installed in several workspaces (each then has its own plan only).
    ``admins``: the default plan's administrators from the environment, beside those each
    workspace keeps in the database (``plan.workspaces``)."""

    default_team: str | None = DEFAULT_TEAM
    admins: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class BotConfig:
    slack: SlackConnection
    access: Access = Access()
    work_threads: int = 2  # threads doing the work after Slack's ack (see bot/work.py)
