"""The Slack app's manifest: everything a workspace admin pastes to create csip in one step.

`csip manifest` prints it (Socket Mode by default: councils are often behind firewalls; with
`--request-url`, HTTP); `manifest.yml` in the repository is the Socket Mode one.
tests/test_manifest.py holds it to the manifest schema's rules and its scopes to the Web API
methods the code calls.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import yaml

NAME = "csip"
COMMAND = "/csip"
USAGE_HINT = "update 5.3 red <reason> · mine · overdue · show 5.3 · summary · report 31/08/2017 · help"
# The Web API methods csip calls, and the bot scope each needs (None: no scope).
SCOPE_OF_METHOD: dict[str, str | None] = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "conversations_history": "channels:history",  # and groups:history, im:history below
    "conversations_replies": "channels:history",
    "conversations_info": "channels:read",  # csip doctor: the bot is in each channel
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "files_upload_v2": "files:write",
    "views_open": None,
    "views_update": None,
    "views_publish": None,
}
BOT_SCOPES = sorted(
    {scope for scope in SCOPE_OF_METHOD.values() if scope}
    | {"commands", "users:read", "groups:history", "im:history", "groups:read"}
)
BOT_EVENTS = ["app_home_opened", "app_uninstalled", "tokens_revoked"]  # the last two need no scope


def manifest(request_url: str | None = None, socket_mode: bool | None = None) -> dict[str, Any]:
    """The manifest: Socket Mode unless a request URL is given (and Socket Mode not asked for)."""
    socket = socket_mode if socket_mode is not None else request_url is None
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Update and read the improvement plan",
        "usage_hint": USAGE_HINT,
        "should_escape": True,  # "@someone" arrives as <@U…>: csip assign needs who it is
    }
    events: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    oauth: dict[str, Any] = {"scopes": {"bot": BOT_SCOPES}}
    if not socket:
        if not request_url:
            raise ValueError("over HTTP, Slack needs the request URL: https://<your host>/slack/events")
        command["url"] = request_url
        events["request_url"] = request_url
        interactivity["request_url"] = request_url
        # Where Slack sends an installer back to, when csip serves several workspaces.
        oauth["redirect_urls"] = [urljoin(request_url, "/slack/oauth_redirect")]
    return {
        "display_information": {
            "name": NAME,
            "description": "The Children's Services Improvement Plan: RAG updates, reminders, digests",
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": NAME, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(request_url: str | None = None, socket_mode: bool | None = None) -> str:
    heading = "# The csip Slack app: paste at api.slack.com/apps → Create New App → From a manifest.\n"
    body = yaml.safe_dump(manifest(request_url, socket_mode), sort_keys=False, allow_unicode=True)
    return heading + body
