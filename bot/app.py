"""Build the Bolt app from its configuration. There is no module-level app: tests build their own."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot import views
from bot.config import BotConfig
from bot.handlers import Handlers
from bot.home import HomeTab
from bot.installs import NOT_INSTALLED, Installs, oauth_settings
from bot.log_context import REQUEST_ID_KEY
from bot.metrics import ACK_SECONDS
from bot.reminder_buttons import REMINDER
from bot.reminder_handlers import ReminderHandlers
from bot.slack_client import make_client
from bot.work import Background
from plan.clock import Clock, utc_now
from plan.errors import SetupError
from plan.ports import StoreFactory

log = logging.getLogger(__name__)
_BOLT_INSTALL_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


def build_app(
    config: BotConfig,
    open_store: StoreFactory,
    *,
    client: WebClient | None = None,
    clock: Clock = utc_now,
    socket_mode: bool = False,
    background: Background | None = None,
    one_at_a_time: bool = False,
    installs: Installs | None = None,
) -> App:
    """The Slack app; over HTTP every request's signature is checked against the signing secret.

    Listeners ack and hand their work to ``background`` (a pool of its own by default).
    ``one_at_a_time``: each request is done, listener and work, before ``dispatch`` returns
    (with a ``background`` that runs work at once): the console workspace reads that way.
    ``installs``: csip serves every workspace that installs it (``bot.installs``), each request
    with its workspace's own token; without, the one bot token's workspace.
    """
    slack = config.slack
    if installs is None and not slack.bot_token:
        raise SetupError("SLACK_BOT_TOKEN is not set: see 'Create the Slack app' in the README.")
    if not socket_mode and not slack.signing_secret:
        raise SetupError("SLACK_SIGNING_SECRET is not set: see 'Create the Slack app' in the README.")
    if installs is None and all(os.environ.get(name) is not None for name in _BOLT_INSTALL_VARIABLES):
        # Bolt starts an install flow of its own (files on local disk) when these are in the
        # environment, even empty, and then ignores the bot token: every request would fail.
        raise SetupError(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in the environment but empty: unset them "
            "to serve the one workspace SLACK_BOT_TOKEN is for."
        )
    client = client or make_client(slack)
    app = App(
        name="csip",  # unnamed, Bolt reads the whole call stack (inspect.stack) to name it
        client=client,
        signing_secret=slack.signing_secret or "",
        request_verification_enabled=not socket_mode,
        process_before_response=one_at_a_time,
        before_authorize=_timed_and_named,  # with several workspaces, authorising reads the database
        oauth_settings=oauth_settings(installs, open_store, clock, client) if installs else None,
        user_facing_authorize_error_message=NOT_INSTALLED if installs else None,
    )
    # Bolt logs a request whose signature fails, body and all, at INFO. bot.server checks
    # signatures before Bolt sees a request and logs a refusal in one line, without the body.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    background = background or Background(config.work_threads)
    home = HomeTab(config.access, open_store, clock)
    handlers = Handlers(config.access, open_store, clock, background, home)
    reminders = ReminderHandlers(config.access, open_store, clock, background, home)
    app.command(re.compile(r"^/csip"))(handlers.on_csip)
    app.action(views.OPEN_UPDATE_MODAL)(handlers.on_open_update_button)
    app.action(views.SEND_REPORT_DOCX)(handlers.on_send_report_docx)
    app.view(views.UPDATE_MODAL)(handlers.on_update_submitted)
    app.action(re.compile(f"^{REMINDER}_"))(reminders.on_button)
    app.event("app_home_opened")(handlers.on_home_opened)
    if installs:  # a workspace that removes csip: its installation goes, and its ticks with it
        app.enable_token_revocation_listeners()
    else:
        app.event("app_uninstalled")(_uninstalled)
        app.event("tokens_revoked")(_uninstalled)
    return app


def _uninstalled(event: dict[str, object]) -> None:
    """With one bot token there is nothing to forget: csip cannot send until it is back."""
    log.error(
        "Slack says csip was removed from its workspace (%s): it can send nothing there", event.get("type")
    )


def _timed_and_named(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Every request gets an id for its log lines, and the time to its ack is measured: Bolt
    returns from ``next`` once the listener has acked (its work goes on after)."""
    context[REQUEST_ID_KEY] = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    try:
        return next()
    finally:
        ACK_SECONDS.observe(time.perf_counter() - started)
