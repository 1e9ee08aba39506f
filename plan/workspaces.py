"""A workspace's own settings: where its scheduled posts go and who administers its plan.

One install of csip may serve several councils, each in its own Slack workspace with its own
plan. Each workspace's administrators set these from Slack (`/csip settings …`) or the operator
from the command line (`csip workspace set …`); they are kept in the database, beside the plan.
A setting left unset falls back to the environment's, in a single-workspace install only: an
install serving several workspaces has no channel or admin that could be right for all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from plan.errors import InputError

_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,31}")
_USER = re.compile(r"[UW][A-Z0-9]{2,31}")


@dataclass(frozen=True)
class WorkspaceSettings:
    """Unset: no channel ids, None, no admins. Channel and user ids are Slack's (C…, U…)."""

    team_id: str
    digest_channels: tuple[str, ...] = ()
    governance_channel: str | None = None
    management_channel: str | None = None
    red_alert_channel: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)

    def changed(self, setting: str, values: tuple[str, ...]) -> WorkspaceSettings:
        """These settings with one of them (a name from :data:`SETTINGS`) set to ``values``."""
        if setting not in SETTINGS:
            raise InputError(f"There is no setting '{setting[:30]}'. The settings: {', '.join(SETTINGS)}.")
        check = _USER if setting == "admins" else _CHANNEL
        for value in values:
            if not check.fullmatch(value):
                what = "a Slack user id (U…)" if setting == "admins" else "a Slack channel id (C…)"
                raise InputError(f"'{value[:40]}' is not {what}.")
        if setting == "admins":
            if not values:
                raise InputError("A workspace needs at least one administrator.")
            return replace(self, admins=frozenset(values))
        if setting == "digest":
            return replace(self, digest_channels=tuple(dict.fromkeys(values)))
        if len(values) > 1:
            raise InputError(f"The {setting} setting takes one channel.")
        channel = values[0] if values else None
        if setting == "governance":
            return replace(self, governance_channel=channel)
        if setting == "management":
            return replace(self, management_channel=channel)
        return replace(self, red_alert_channel=channel)


SETTINGS = ("digest", "governance", "management", "red-alerts", "admins")
"""The settings by the names people use for them (`/csip settings governance #board`)."""
