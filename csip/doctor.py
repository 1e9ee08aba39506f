"""`csip doctor`: is this installation ready? One line a check, ✓ or ✗ with what to do.

It asks the database and Slack what they know: the schema's revision and the plan; the token
(``auth.test``) and the scopes Slack granted it (the ``x-oauth-scopes`` header) against those
the manifest asks for; each configured channel (``conversations.info``: it exists and the bot is
in it); the owners csip cannot match to a Slack user; and how Slack reaches csip (an app token
for Socket Mode, or the signing secret for HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.config import DEFAULT_TEAM
from bot.directory import SlackDirectory, resolve_slack_id
from csip.manifest import BOT_SCOPES
from csip.settings import Settings
from plan.parsing import plural
from plan.ports import StoreFactory
from schedules.config import Channels, channels_for
from storage.database import HEAD_REVISION, connect, schema_revisions
from storage.store import store_factory

MANIFEST_FIX = "reinstall the app from manifest.yml (csip manifest) so that Slack grants them"
UNMATCHED_SHOWN = 5


@dataclass(frozen=True)
class Check:
    ok: bool
    line: str

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.line}"


def checks(settings: Settings) -> Iterator[Check]:
    """Each check in turn; a failure early on (no database, no token) skips what needs it."""
    database = _database(settings)
    if not database.ok:
        yield database
        return
    yield database
    yield _how_slack_reaches_csip(settings)
    if settings.several_workspaces and settings.team_id == DEFAULT_TEAM:
        yield Check(False, "workspace: csip serves several: `csip --team T… doctor` checks one of them")
        return
    engine = connect(settings.database_url)
    open_store = store_factory(engine)
    team = settings.plan_team()
    with open_store() as store:
        plan_id = store.find_plan_id(team)
        actions = len(store.refs(plan_id)) if plan_id is not None else 0
        channels = channels_for(store.workspace_settings(team), settings.schedule().channels)
    if plan_id is None:
        yield Check(False, "plan: none imported yet: csip import tracker.xlsx")
    else:
        yield Check(True, f"plan: {plural(actions, 'action')}")
    token = _token(settings, engine, team)
    if isinstance(token, Check):
        yield token
        return
    # No retries: a doctor's question is answered now or reported, not waited on.
    client = WebClient(token=token, base_url=settings.slack_api_url, timeout=10, retry_handlers=[])
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        yield Check(False, f"token: Slack refused it ({error.response.get('error')}): check SLACK_BOT_TOKEN")
        return
    except Exception as error:  # no network, a proxy, a wrong SLACK_API_URL
        yield Check(False, f"token: cannot reach Slack at {settings.slack_api_url} ({type(error).__name__})")
        return
    yield Check(True, f"token: valid, for workspace {answer.get('team', answer.get('team_id'))}")
    yield _scopes(answer.headers)
    yield from _channels(client, channels)
    if plan_id is not None:
        yield _owners(open_store, client, plan_id)


def _database(settings: Settings) -> Check:
    """Reachable, and at the schema this csip needs, without creating or migrating it: a doctor
    looks, and changes nothing."""
    from csip.failures import explain

    shown = _shown_url(settings.database_url)
    try:
        engine = connect(settings.database_url)
        if engine.dialect.name == "sqlite" and not _sqlite_file_exists(engine):
            return Check(False, f"database: none at {shown} yet: `csip import TRACKER` creates it")
        with engine.connect() as connection:
            revisions = schema_revisions(connection)
    except Exception as error:  # any failure to reach it, said in a line
        return Check(False, f"database: {explain(error)[0]}")
    if revisions != {HEAD_REVISION}:
        return Check(False, f"database: its schema is not this csip's ({shown}): run `csip migrate`")
    return Check(True, f"database: reachable and migrated ({shown})")


def _sqlite_file_exists(engine: Engine) -> bool:
    path = engine.url.database
    return not path or path == ":memory:" or path.startswith("file:") or Path(path).exists()


def _shown_url(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _how_slack_reaches_csip(settings: Settings) -> Check:
    if settings.slack_app_token:
        return Check(True, "connection: Socket Mode (SLACK_APP_TOKEN is set)")
    if settings.slack_signing_secret:
        return Check(True, "connection: HTTP, requests checked against SLACK_SIGNING_SECRET")
    return Check(
        False,
        "connection: set SLACK_APP_TOKEN (Socket Mode; an app-level token with connections:write) "
        "or SLACK_SIGNING_SECRET (HTTP)",
    )


def _scopes(headers: dict[str, str | list[str]]) -> Check:
    raw = next((value for name, value in headers.items() if name.lower() == "x-oauth-scopes"), None)
    if raw is None:
        return Check(False, "scopes: Slack did not say which scopes the token has")
    text = raw if isinstance(raw, str) else ",".join(raw)
    granted = {scope.strip() for scope in text.split(",") if scope.strip()}
    missing = sorted(set(BOT_SCOPES) - granted)
    if missing:
        return Check(False, f"scopes: missing {', '.join(missing)}: {MANIFEST_FIX}")
    return Check(True, f"scopes: all {len(BOT_SCOPES)} csip needs")


def _token(settings: Settings, engine: Engine, team: str) -> str | Check:
    """The bot token, or the failed check that says why there is none: SLACK_BOT_TOKEN, or
    with several workspaces the one the workspace's installation holds."""
    from csip.installations import installs

    found = installs(settings, engine)
    if found is not None:
        bot = found.installations.find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            return Check(False, f"token: csip is not installed in workspace {team}: open /slack/install")
        return str(bot.bot_token)
    if not settings.slack_bot_token:
        return Check(False, "token: SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from the app")
    return settings.slack_bot_token


def _channels(client: WebClient, channels: Channels) -> Iterator[Check]:
    """The channels the workspace set (`/csip settings`), else the environment's."""
    named = {
        **{channel: "the digest" for channel in channels.digest},
        **({channels.governance: "the exemption report"} if channels.governance else {}),
        **({channels.management: "escalations"} if channels.management else {}),
        **({channels.red_alert: "Red alerts"} if channels.red_alert else {}),
    }
    if not named:
        yield Check(False, "channels: none set: `/csip settings digest #channel` and `… governance #channel`")
        return
    for channel, purpose in named.items():
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as error:
            yield Check(False, f"channel {channel} ({purpose}): {error.response.get('error')}: check the id")
            continue
        name = f"#{info.get('name', channel)}"
        if info.get("is_member"):
            yield Check(True, f"channel {name} ({purpose}): csip is a member")
        else:
            yield Check(False, f"channel {name} ({purpose}): csip is not in it: /invite @csip there")


def _owners(open_store: StoreFactory, client: WebClient, plan_id: int) -> Check:
    directory = SlackDirectory(client)
    with open_store() as store:
        waiting = store.owners_not_in_slack(plan_id)
        unmatched = [
            p for p in waiting if resolve_slack_id(store, directory, plan_id, p).slack_user_id is None
        ]
        store.commit()
    if not unmatched:
        return Check(True, "owners: every owner of an open action is matched to a Slack user")
    shown = ", ".join(p.email or p.name for p in unmatched[:UNMATCHED_SHOWN])
    more = f" and {len(unmatched) - UNMATCHED_SHOWN} more" if len(unmatched) > UNMATCHED_SHOWN else ""
    return Check(
        False,
        f"owners: {plural(len(unmatched), 'owner')} cannot be matched to a Slack user ({shown}{more}): "
        "their e-mail in the tracker must be the one on their Slack profile",
    )
