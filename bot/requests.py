"""Which workspace, plan and person a Slack request is about, and whether they administer it."""

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
    """The workspace a request came from; whether csip's bot token is this workspace's own (in
    an install serving several workspaces, every installed one is); and its people, as Slack
    tells them to that token."""

    id: str
    is_home: bool
    directory: SlackDirectory


def workspace_of(body: dict[str, Any], context: BoltContext) -> Workspace:
    """Commands carry ``team_id``; button presses and forms ``team.id`` (or the user's team).
    The token's workspace is what Bolt's authorisation said: ``auth.test`` at start-up with one
    bot token, the installation found for the request with several."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id")
    home = context.authorize_result.team_id if context.authorize_result else None
    return Workspace(str(team or ""), bool(team) and team == home, SlackDirectory(context.client))


class NotThisWorkspace(InputError):
    def __init__(self) -> None:
        super().__init__(
            "csip keeps no plan for this workspace: it serves the workspace it is installed in. "
            "Ask that workspace's csip administrator."
        )


def plan_team(store: PlanStore, workspace: Workspace, access: Access) -> str:
    """Whose plan and settings a request works on, by the team id they are kept under: the
    workspace's own if it has a plan, else, in a single-workspace install and for the bot
    token's own workspace only, the default plan's. Another workspace without a plan of its
    own is refused: its people must never act on, or be matched by e-mail to, this plan's
    owners. In an install serving several workspaces, each works on its own plan only."""
    if access.default_team is None or store.find_plan_id(workspace.id) is not None:
        return workspace.id
    if not workspace.is_home:
        raise NotThisWorkspace()
    return access.default_team


def plan_for(store: PlanStore, workspace: Workspace, access: Access) -> int:
    """The plan a request works on (see :func:`plan_team`). A request never creates a plan:
    with none, it is told there is none yet."""
    plan_id = store.find_plan_id(plan_team(store, workspace, access))
    if plan_id is not None:
        return plan_id
    if access.default_team is None:
        raise NoPlanYet(f"the operator imports this workspace's with `csip --team {workspace.id} import`.")
    raise NoPlanYet("an administrator needs to import one with `csip import`.")


def is_admin(store: PlanStore, workspace: Workspace, user_id: str, access: Access) -> bool:
    """The workspace's administrators, as set from Slack or the command line; for the default
    plan of a single-workspace install, also those the environment names (``CSIP_ADMINS``)."""
    team = plan_team(store, workspace, access)
    if team == access.default_team and user_id in access.admins:
        return True
    return user_id in store.workspace_settings(team).admins


def caller_for(store: PlanStore, workspace: Workspace, plan_id: int, user_id: str, access: Access) -> Caller:
    person = identify(store, workspace.directory, plan_id, user_id)
    return Caller(person.id if person else None, is_admin(store, workspace, user_id, access))
