"""Which plan and which person a Slack request is about."""

from __future__ import annotations

from typing import Any

from bot.config import Access
from bot.directory import SlackDirectory, identify
from plan.errors import NoPlanYet
from plan.ports import PlanStore
from plan.rules import Caller


def team_of(body: dict[str, Any]) -> str:
    """The workspace a button press or form came from (commands carry ``team_id`` directly)."""
    return str((body.get("team") or {}).get("id") or body.get("user", {}).get("team_id") or "")


def plan_for(store: PlanStore, team_id: str, access: Access) -> int:
    """The workspace's own plan if it has one, else the default plan (one workspace, one plan).
    A request never creates a plan: with neither, it is told there is none yet."""
    for team in (team_id, access.default_team):
        plan_id = store.find_plan_id(team)
        if plan_id is not None:
            return plan_id
    raise NoPlanYet("an administrator needs to import one with `csip import`.")


def caller_for(
    store: PlanStore, directory: SlackDirectory, plan_id: int, user_id: str, access: Access
) -> Caller:
    person = identify(store, directory, plan_id, user_id)
    return Caller(person.id if person else None, user_id in access.admins)
