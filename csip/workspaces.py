"""`csip workspace`: each workspace's settings from the command line, for the operator.

What a workspace's administrators set from Slack (`/csip settings …`), set or shown here by its
team id: before anyone in the workspace can (its first admins), or for a workspace whose admins
have left. Like the rest of the command line, building the parser imports nothing else.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from csip.settings import Settings
    from plan.workspaces import WorkspaceSettings


def _ids(text: str) -> tuple[str, ...]:
    """ "C01,C02" as typed; "" to unset."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


# option: (setting in plan.workspaces.SETTINGS, what it is)
OPTIONS = {
    "digest_channels": ("digest", "channel ids for the weekly digest: C01,C02"),
    "governance_channel": ("governance", "channel id for the monthly exemption report"),
    "management_channel": ("management", "channel id for long-overdue escalations"),
    "red_alert_channel": ("red-alerts", "channel id told when an action goes Red"),
    "admins": ("admins", "Slack user ids who administer the workspace's plan: U01,U02"),
}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    workspace = commands.add_parser("workspace", help="show or set a workspace's channels and admins")
    actions = workspace.add_subparsers(required=True, metavar="ACTION")
    show = actions.add_parser("show", help="every workspace's settings, or one's")
    show.add_argument("team", nargs="?", help="a team id (T…); default: every workspace with a plan")
    show.set_defaults(run=run_show)
    change = actions.add_parser("set", help="set a workspace's settings ('' unsets one)")
    change.add_argument("team", help="the workspace's team id (T…)")
    for option, (_, what) in OPTIONS.items():
        change.add_argument(f"--{option.replace('_', '-')}", type=_ids, help=what)
    change.set_defaults(run=run_set)


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    from csip.wiring import open_database

    with open_database(settings)() as store:
        teams = [args.team] if args.team else store.plan_teams()
        for team in teams:
            print(describe(store.workspace_settings(team)))
    return 0


def run_set(args: argparse.Namespace, settings: Settings) -> int:
    from csip.wiring import open_database
    from plan.clock import utc_now
    from plan.errors import InputError

    given = {option: getattr(args, option) for option in OPTIONS if getattr(args, option) is not None}
    if not given:
        raise InputError(
            "Nothing to set: give at least one of " + ", ".join(f"--{o.replace('_', '-')}" for o in OPTIONS)
        )

    def change(current: WorkspaceSettings) -> WorkspaceSettings:
        for option, ids in given.items():
            current = current.changed(OPTIONS[option][0], ids)
        return current

    with open_database(settings)() as store:
        changed = store.change_workspace_settings(args.team, change, utc_now())
        store.commit()
    print(describe(changed))
    return 0


def describe(settings: WorkspaceSettings) -> str:
    def shown(*ids: str | None) -> str:
        return ",".join(i for i in ids if i) or "-"

    return (
        f"{settings.team_id}: digest {shown(*settings.digest_channels)}; "
        f"governance {shown(settings.governance_channel)}; management {shown(settings.management_channel)}; "
        f"red-alerts {shown(settings.red_alert_channel)}; admins {shown(*sorted(settings.admins))}"
    )
