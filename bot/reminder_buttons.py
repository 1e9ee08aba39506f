"""The buttons on owners' reminders, and how a reminder shows what was done with them.

Built by the scheduled messages and handled by the bot, so both sides agree on the ids.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.blocks import context
from plan.model import ActionState

REMINDER = "reminder"  # action ids are reminder_<choice>; the value is the action's ref
CHOICES = {
    "green": "On track",
    "amber": "At risk",
    "red": "Off track",
    "complete": "Complete",
    "snooze1": "Snooze a day",
    "snooze7": "Snooze a week",
}
CONFIRM = "confirm"
SNOOZE_DAYS = {"snooze1": 1, "snooze7": 7}


def block_id(ref: str) -> str:
    return f"{REMINDER}:{ref}"


def rag_buttons(action: ActionState) -> dict[str, Any]:
    return _for_action(_rag_buttons(), action.ref)


def confirm_button(action: ActionState) -> dict[str, Any]:
    return _for_action(_confirm_button(action.rag.label if action.rag else "rated"), action.ref)


# A tick builds a row of buttons for every action in every owner's reminder, and slack_sdk's
# models check every element each time one is turned into a dict (about 1 ms a row). So each
# row is built and checked once, through the models, and copied for each action with its ref.
PLACEHOLDER = "ref"


@cache
def _rag_buttons() -> dict[str, Any]:
    return ActionsBlock(
        block_id=block_id(PLACEHOLDER),
        elements=[
            ButtonElement(
                text=label,
                action_id=f"{REMINDER}_{choice}",
                value=PLACEHOLDER,
                style="primary" if choice == "green" else "danger" if choice == "red" else None,
            )
            for choice, label in CHOICES.items()
        ],
    ).to_dict()


@cache
def _confirm_button(label: str) -> dict[str, Any]:
    return ActionsBlock(
        block_id=block_id(PLACEHOLDER),
        elements=[
            ButtonElement(text=f"Yes, still {label}", action_id=f"{REMINDER}_{CONFIRM}", value=PLACEHOLDER)
        ],
    ).to_dict()


def _for_action(template: dict[str, Any], ref: str) -> dict[str, Any]:
    """A checked row of buttons with the action's ref in its block id and values."""
    elements = [{**element, "value": ref} for element in template["elements"]]
    return {**template, "block_id": block_id(ref), "elements": elements}


def mark_done(message: dict[str, Any], ref: str, what: str) -> dict[str, Any]:
    """The reminder with one action's buttons replaced by what was done, for chat.update."""
    done = context(f":white_check_mark: {what}").to_dict()
    blocks = [done if block.get("block_id") == block_id(ref) else block for block in message["blocks"]]
    return {**message, "blocks": blocks}
