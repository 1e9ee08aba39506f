"""Which plan and which person a Slack request is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from bot.config import Access
from bot.directory import SlackDirectory, identify
from plan.errors import InputError, NoPlanYet
from plan.ports import PlanStore
from plan.rules import Caller


@dataclass(frozen=True)
class Workspace:
    """The workspace a request came from, and whether it is the one csip's bot token is for."""

    id: str
    is_home: bool


def workspace_of(body: dict[str, Any], context: BoltContext) -> Workspace:
    """Commands carry ``team_id``; button presses and forms ``team.id`` (or the user's team).
    The token's own workspace is what Bolt's ``auth.test`` at start-up said."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id")
    home = context.authorize_result.team_id if context.authorize_result else None
    return Workspace(str(team or ""), bool(team) and team == home)


class NotThisWorkspace(InputError):
    def __init__(self) -> None:
        super().__init__(
            "csip keeps no plan for this workspace: it serves the workspace it is installed in. "
            "Ask that workspace's csip administrator."
        )


def plan_for(store: PlanStore, workspace: Workspace, access: Access) -> int:
    """The workspace's own plan if it has one, else, for the bot token's own workspace only, the
    default plan (one workspace, one plan). Another workspace without a plan of its own is
    refused: its people must never act on, or be matched by e-mail to, this plan's owners.
    A request never creates a plan: with none, it is told there is none yet."""
    plan_id = store.find_plan_id(workspace.id)
    if plan_id is not None:
        return plan_id
    if not workspace.is_home:
        raise NotThisWorkspace()
    plan_id = store.find_plan_id(access.default_team)
    if plan_id is not None:
        return plan_id
    raise NoPlanYet("an administrator needs to import one with `csip import`.")


def caller_for(
    store: PlanStore, directory: SlackDirectory, plan_id: int, user_id: str, access: Access
) -> Caller:
    person = identify(store, directory, plan_id, user_id)
    return Caller(person.id if person else None, user_id in access.admins)
