"""The buttons on owners' reminders, and how a reminder shows what was done with them.

Built by the scheduled messages and handled by the bot, so both sides agree on the ids.
"""

from __future__ import annotations

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


def rag_buttons(action: ActionState) -> ActionsBlock:
    return ActionsBlock(
        block_id=block_id(action.ref),
        elements=[
            ButtonElement(
                text=label,
                action_id=f"{REMINDER}_{choice}",
                value=action.ref,
                style="primary" if choice == "green" else "danger" if choice == "red" else None,
            )
            for choice, label in CHOICES.items()
        ],
    )


def confirm_button(action: ActionState) -> ActionsBlock:
    label = action.rag.label if action.rag else "rated"
    return ActionsBlock(
        block_id=block_id(action.ref),
        elements=[
            ButtonElement(text=f"Yes, still {label}", action_id=f"{REMINDER}_{CONFIRM}", value=action.ref)
        ],
    )


def mark_done(message: dict[str, Any], ref: str, what: str) -> dict[str, Any]:
    """The reminder with one action's buttons replaced by what was done, for chat.update."""
    done = context(f":white_check_mark: {what}").to_dict()
    blocks = [done if block.get("block_id") == block_id(ref) else block for block in message["blocks"]]
    return {**message, "blocks": blocks}
