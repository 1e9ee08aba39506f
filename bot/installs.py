"""Several councils on one install: Slack's OAuth install flow, and each workspace's token.

A council adds csip to its workspace at ``/slack/install``; Slack sends the installer back to
``/slack/oauth_redirect``, where Bolt swaps the code for a bot token and keeps it through
slack_sdk's installation store (in csip's database, created by its migrations). Every request
is then authorised by the installation of the workspace it came from; a workspace without one
is told to install csip and nothing else happens. Whoever installed csip becomes the
workspace's first csip administrator if Slack says they administer the workspace, so that
someone can set its channels (`/csip settings`); otherwise the operator names them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.config import SlackConnection
from bot.slack_client import make_client
from plan.clock import Clock
from plan.ports import PlanStore, StoreFactory

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
NOT_INSTALLED = (
    ":warning: csip is not installed in this workspace, so it keeps no plan here and changed "
    "nothing. A workspace administrator can add it from the install page their csip operator gives."
)


class TooManyInstalls(Exception):
    """More installs begun and not finished than :data:`MAX_OPEN_INSTALLS`: the install page is
    public, and each visit keeps a state until it expires."""


MAX_OPEN_INSTALLS = 1000


@dataclass(frozen=True)
class Installs:
    """The app's OAuth credentials; where installations and the flow's states are kept; and
    each workspace's bot token, whether or not its workspace is in an Enterprise Grid org."""

    client_id: str
    client_secret: str
    scopes: Sequence[str]
    installations: InstallationStore
    states: OAuthStateStore
    bot_token_of: Callable[[str], str | None]
    state_seconds: int = 600  # an install begun must be finished within this


def oauth_settings(
    installs: Installs, open_store: StoreFactory, clock: Clock, client: WebClient
) -> OAuthSettings:
    def installed(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        team, installer = installation.team_id, installation.user_id
        log.info("csip was installed in workspace %s", team)
        if team and installer and _administers_slack(client, installation.bot_token, installer):
            with open_store() as store:
                record_first_admin(store, team, installer, clock)
        return args.default.success(args)

    def failed(args: FailureArgs) -> BoltResponse:
        log.warning("an install did not finish: %s", args.reason)
        return args.default.failure(args)

    settings = OAuthSettings(
        client_id=installs.client_id,
        client_secret=installs.client_secret,
        scopes=list(installs.scopes),
        installation_store=installs.installations,
        state_store=installs.states,
        state_expiration_seconds=installs.state_seconds,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=installed, failure=failed),
    )
    if isinstance(settings.authorize, InstallationStoreAuthorize):
        # Each request still finds its workspace's installation (one indexed row), so a removed
        # install is refused at once; what is kept is Slack's auth.test answer for a token,
        # which would otherwise be asked for before every ack.
        settings.authorize.cache_enabled = True
    return settings


def _administers_slack(client: WebClient, token: str | None, user_id: str) -> bool:
    """Whether Slack says the installer is an admin or owner of the workspace: only then are
    they csip's first administrator (anyone allowed to add apps may have installed it)."""
    try:
        user = client.users_info(token=token, user=user_id)["user"]
    except SlackApiError as error:
        log.warning("could not tell whether the installer administers the workspace: %s", error)
        return False
    if user.get("is_admin") or user.get("is_owner"):
        return True
    log.warning("the installer of csip is not a workspace admin: `csip workspace set --admins` names csip's")
    return False


def record_first_admin(store: PlanStore, team: str, user_id: str, clock: Clock) -> None:
    """The installer administers the workspace, unless it already has administrators (csip
    installed again, or set up from the command line first)."""
    store.change_workspace_settings(
        team,
        lambda settings: settings if settings.admins else replace(settings, admins=frozenset({user_id})),
        clock(),
    )
    store.commit()


@dataclass(frozen=True)
class InstalledWorkspaces:
    """``schedules.workspaces.Workspaces`` for an install serving several workspaces: every
    plan's workspace, with the bot token its installation holds."""

    bot_token_of: Callable[[str], str | None]
    slack: SlackConnection

    def teams(self, store: PlanStore) -> list[str]:
        return store.plan_teams()

    def client(self, team: str) -> WebClient | None:
        token = self.bot_token_of(team)
        return make_client(replace(self.slack, bot_token=token)) if token else None
