"""The controls on owners' reminders, and how a reminder shows what was done with them.

Up to five actions get a row each: Green, Amber, Red, Complete (which asks to confirm) and a
menu to snooze. More get one menu each (Green, Amber…, Red…, Complete…, Snooze a week), so a
long reminder stays within about 25 controls; Amber, Red and Complete from a menu open the
update form.

Built by the scheduled messages and handled by the bot, so both sides agree on the ids.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
)

from bot.blocks import context
from plan.model import ActionState

REMINDER = "reminder"  # action ids are reminder_<choice>; the value is the action's ref
MENU = "menu"  # reminder_menu: one menu an action, each option's value "<choice>|<ref>"
CHOICES = {"green": "Green", "amber": "Amber", "red": "Red", "complete": "Complete"}
SNOOZES = {"snooze1": "Snooze a day", "snooze7": "Snooze a week"}
CHOICE_WORDS = (
    "Green: on track · Amber: at risk · Red: off track (Amber and Red ask for the reason) · "
    "Complete: done, after you confirm."
)
CONFIRM = "confirm"
COMPLETE_FORM = "completeform"  # Complete from a menu: the form, to confirm it
SNOOZE_DAYS = {"snooze1": 1, "snooze7": 7}


def block_id(ref: str) -> str:
    return f"{REMINDER}:{ref}"


def rag_buttons(action: ActionState) -> dict[str, Any]:
    return _for_action(_rag_buttons(), action.ref)


def confirm_button(action: ActionState) -> dict[str, Any]:
    return _for_action(_confirm_button(action.rag.label if action.rag else "rated"), action.ref)


def action_menu(action: ActionState) -> dict[str, Any]:
    """A section's block id and accessory: one compact menu for an action, when a reminder
    lists too many for a row of buttons each."""
    menu = _menu()
    options = [{**option, "value": f"{option['value']}|{action.ref}"} for option in menu["options"]]
    return {"block_id": block_id(action.ref), "accessory": {**menu, "options": options}}


def menu_choice(value: str) -> tuple[str, str]:
    """The choice and the ref a menu option carries."""
    choice, _, ref = value.partition("|")
    return choice, ref


# A tick builds a row of buttons for every action in every owner's reminder, and slack_sdk's
# models check every element each time one is turned into a dict (about 1 ms a row). So each
# row is built and checked once, through the models, and copied for each action with its ref.
PLACEHOLDER = "ref"


@cache
def _rag_buttons() -> dict[str, Any]:
    buttons = [
        ButtonElement(
            text=label,
            action_id=f"{REMINDER}_{choice}",
            value=PLACEHOLDER,
            style="primary" if choice == "green" else "danger" if choice == "red" else None,
            confirm=_confirm_complete() if choice == "complete" else None,
        )
        for choice, label in CHOICES.items()
    ]
    snooze = OverflowMenuElement(
        action_id=f"{REMINDER}_{MENU}",
        options=[Option(value=choice, label=label) for choice, label in SNOOZES.items()],
    )
    return ActionsBlock(block_id=block_id(PLACEHOLDER), elements=[*buttons, snooze]).to_dict()


def _confirm_complete() -> ConfirmObject:
    return ConfirmObject(
        title="Mark it complete?",
        text=PlainTextObject(text="It then counts as done and is no longer chased."),
        confirm="Complete",
        deny="Not yet",
    )


@cache
def _menu() -> dict[str, Any]:
    labels = {
        "green": "Green: on track",
        "amber": "Amber: at risk…",
        "red": "Red: off track…",
        COMPLETE_FORM: "Complete…",
        "snooze7": "Snooze a week",
    }
    options = [Option(value=choice, label=label) for choice, label in labels.items()]
    return OverflowMenuElement(action_id=f"{REMINDER}_{MENU}", options=options).to_dict()


@cache
def _confirm_button(label: str) -> dict[str, Any]:
    return ActionsBlock(
        block_id=block_id(PLACEHOLDER),
        elements=[
            ButtonElement(text=f"Yes, still {label}", action_id=f"{REMINDER}_{CONFIRM}", value=PLACEHOLDER)
        ],
    ).to_dict()


def _for_action(template: dict[str, Any], ref: str) -> dict[str, Any]:
    """A checked row with the action's ref in its block id and values (a menu's: "choice|ref")."""
    elements = []
    for element in template["elements"]:
        if "options" in element:
            options = [{**o, "value": f"{o['value'].partition('|')[0]}|{ref}"} for o in element["options"]]
            elements.append({**element, "options": options})
        else:
            elements.append({**element, "value": ref})
    return {**template, "block_id": block_id(ref), "elements": elements}


def mark_done(message: dict[str, Any], ref: str, what: str) -> dict[str, Any]:
    """The reminder with one action's buttons replaced by what was done, for chat.update."""
    done = context(f":white_check_mark: {what}").to_dict()
    blocks = [done if block.get("block_id") == block_id(ref) else block for block in message["blocks"]]
    return {**message, "blocks": blocks}
