"""Block Kit builders for every reply and the update modal. No handler logic lives here.

Built with slack_sdk's Block Kit models, which check Slack's limits when turned into dicts;
long lists are packed into sections of at most 3,000 characters and at most 50 blocks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import (
    MAX_BLOCKS,
    action_line,
    context,
    packed_lines,
    person_name,
    rag_badge,
    rag_line,
    section,
)
from bot.commands import USAGE
from bot.mrkdwn import clip, escape
from plan.figures import PlanFigures
from plan.model import ActionState, PlanView, Rag
from plan.parsing import due_text, plural, uk_date
from plan.rules import NOTE_LIMIT, is_overdue, overdue_text, sort_by_ref, working_days_overdue
from plan.rules import worst_first as by_severity
from plan.workspaces import WorkspaceSettings

LIST_LIMIT = 40  # lines in one list reply: more is a wall of text on a phone
OPEN_UPDATE_MODAL = "open_update_modal"
SEND_REPORT_DOCX = "send_report_docx"
UPDATE_MODAL = "update_rag_modal"


@dataclass(frozen=True)
class Reply:
    """An ephemeral reply: fallback text for notifications, and the blocks."""

    text: str
    blocks: list[dict[str, object]]


def _reply(text: str, blocks: Sequence[Block]) -> Reply:
    """``text`` is the plain fallback notifications show: escaped here, so nothing in it pings."""
    return Reply(text=escape(text), blocks=[block.to_dict() for block in blocks])


def error_reply(message: str) -> Reply:
    return _reply(message, [section(f":warning: {escape(message)}")])


def notice_reply(message: str) -> Reply:
    return _reply(message, [section(escape(message))])


def help_reply(problem: str = "") -> Reply:
    lines = [
        "*csip: the improvement plan in Slack*",
        f"`{USAGE['update']}`: set RAG (Red and Amber need a reason)",
        "`/csip update`: the same, in a form",
        f"`{USAGE['show']}`: one action and its latest update",
        "`/csip mine`: your actions",
        "`/csip overdue`: actions past their due date and not complete",
        f"`{USAGE['summary']}`: RAG totals, for the plan or one priority",
        f"`{USAGE['report']}`: the committee paragraph as at a date, with the Word version on request",
        f"`{USAGE['due']}`: reschedule (priority leads and admins)",
        f"`{USAGE['assign']}`: reassign (priority leads and admins)",
        "`/csip settings`: where scheduled posts go, and who administers csip here (admins change them)",
    ]
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: {escape(problem)}"))
    blocks.append(section("\n".join(lines)))
    return _reply(problem or "csip help", blocks)


def settings_reply(settings: WorkspaceSettings, falls_back: bool, saved: str = "") -> Reply:
    """A workspace's settings, each in the plan's words. A setting not set here is the
    install's own (``falls_back``: the environment's, in a single-workspace install) or off.
    Administrators are named in a reply only the asker sees: nobody is notified."""
    unset = "not set here (the install's own applies)" if falls_back else "not set: nothing is posted"

    def channels(*ids: str | None) -> str:
        return ", ".join(f"<#{escape(channel)}>" for channel in ids if channel) or unset

    admins = ", ".join(f"<@{escape(user)}>" for user in sorted(settings.admins)) or "none set here"
    if falls_back:
        admins += ", and those the install names (CSIP_ADMINS)"
    lines = [
        "*csip's settings for this workspace*",
        f"Weekly digest (`digest`): {channels(*settings.digest_channels)}",
        f"Monthly exemption report (`governance`): {channels(settings.governance_channel)}",
        f"Long-overdue escalations (`management`): {channels(settings.management_channel)}",
        "A line when an action goes Red (`red-alerts`): "
        + channels(settings.red_alert_channel or settings.management_channel),
        f"Administrators (`admins`): {admins}",
    ]
    blocks: list[Block] = []
    if saved:
        blocks.append(section(f":white_check_mark: {escape(saved)}"))
    blocks.append(section("\n".join(lines)))
    blocks.append(context(f"Change one: `{escape(USAGE['settings'])}`. csip must be in each channel."))
    return _reply(saved or "csip's settings for this workspace", blocks)


def action_card(action: ActionState, view: PlanView, today: dt.date, title: str = "") -> Reply:
    """One action: what it is, who owns it, when it is due, its RAG and latest reason."""
    due = due_text(action.due_date)
    if is_overdue(action, today):
        due += f" ({overdue_text(working_days_overdue(action, today))})"
    priority = view.priorities.get(action.priority)
    blocks: list[Block] = []
    if title:
        blocks.append(section(title))
    blocks.append(section(f"*{escape(action.ref)}* {escape(action.record.description)}"))
    blocks.append(
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Owner*\n{person_name(view, action.owner_id, mention=True)}"),
                MarkdownTextObject(text=f"*Due*\n{due}"),
                MarkdownTextObject(text=f"*RAG*\n{rag_badge(action.rag)}"),
                MarkdownTextObject(
                    text=f"*Priority*\n{action.priority}"
                    + (f" {escape(clip(priority.title, 200))}" if priority else "")
                ),
            ]
        )
    )
    if action.rag_note:
        blocks.append(context(f"Latest reason: {escape(action.rag_note)}"))
    if action.original_due_date and action.original_due_date != action.due_date:
        blocks.append(context(f"Originally due {uk_date(action.original_due_date)}"))
    blocks.append(
        ActionsBlock(
            elements=[ButtonElement(text="Update RAG", action_id=OPEN_UPDATE_MODAL, value=action.ref)]
        )
    )
    return _reply(f"{action.ref}: {rag_badge(action.rag)}", blocks)


def action_list(
    title: str, actions: Sequence[ActionState], view: PlanView, today: dt.date, *, worst_first: bool = False
) -> Reply:
    """A list in plan order (or worst first: Red, then the longest overdue), packed into as few
    sections as fit, cut off with a count if long."""
    if not actions:
        return _reply(title, [section(f"*{escape(title)}*\nNone.")])
    ordered = by_severity(actions) if worst_first else sort_by_ref(actions)
    lines = [action_line(action, view, today, mention=True) for action in ordered[:LIST_LIMIT]]
    blocks: list[Block] = [HeaderBlock(text=clip(title, 150))]
    blocks += packed_lines(lines, MAX_BLOCKS - 1, LIST_LIMIT, total=len(actions))
    return _reply(f"{title}: {len(actions)}", blocks)


def summary_reply(figures: PlanFigures, title: str) -> Reply:
    rag = figures.rag
    lines = [
        f"*{escape(title)}*, as at {uk_date(figures.on)}",
        f"{figures.due} of {plural(figures.total, 'action')} due ({figures.due_share}%); "
        f"{figures.overdue} overdue.",
        f"Of the {rag.rated} due actions RAG rated: {rag_line(rag)}, of which {rag.complete} complete.",
    ]
    if rag.unrated:
        lines.append(f"{rag.unrated} due actions are not yet RAG rated.")
    return _reply(
        f"{title}: Red {rag.red}, Amber {rag.amber}, Green {rag.green}",
        [section("\n".join(lines))],
    )


def report_reply(paragraph: str, as_at: dt.date) -> Reply:
    """The committee paragraph, ready to paste, and a button for the Word version."""
    return _reply(
        paragraph,
        [
            section(escape(paragraph)),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Send me the Word version", action_id=SEND_REPORT_DOCX, value=as_at.isoformat()
                    )
                ]
            ),
        ],
    )


def updated_reply(action: ActionState, view: PlanView, today: dt.date, what: str) -> Reply:
    return action_card(action, view, today, title=f":white_check_mark: {what}")


# --- the update modal ---------------------------------------------------------------------


@dataclass(frozen=True)
class ModalContext:
    """Kept in the modal's private_metadata: where to show the result afterwards, either an
    ephemeral reply (response_url) or the reminder message the form was opened from."""

    response_url: str | None = None
    reminder_channel: str | None = None
    reminder_ts: str | None = None

    def dump(self) -> str:
        return json.dumps(
            {"response_url": self.response_url, "channel": self.reminder_channel, "ts": self.reminder_ts}
        )

    @classmethod
    def load(cls, text: str) -> ModalContext:
        data = json.loads(text or "{}")
        return cls(data.get("response_url"), data.get("channel"), data.get("ts"))


def outcome_modal(mrkdwn: str) -> View:
    """What the update form turns into once submitted: "Saving…", then what happened.

    ``mrkdwn`` is shown as it is: escape any user text in it first."""
    return View(
        type="modal",
        title=PlainTextObject(text="Update an action"),
        close=PlainTextObject(text="Close"),
        blocks=[section(mrkdwn)],
    )


MODAL_ACTION, MODAL_RAG, MODAL_NOTE = "action", "rag", "note"
MAX_OPTIONS = 100


def update_modal(
    actions: Sequence[ActionState], chosen: str | None, context: ModalContext, rag: Rag | None = None
) -> View:
    """Pick one of my actions, choose the RAG, write the reason."""
    options = [
        Option(value=action.ref, text=clip(f"{action.ref} {action.record.description}", 75))
        for action in sort_by_ref(actions)[:MAX_OPTIONS]
    ]
    initial = next((option for option in options if option.value == chosen), None)
    rag_options = [
        Option(value=rag.value, text=rag.label) for rag in (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.COMPLETE)
    ]
    return View(
        type="modal",
        callback_id=UPDATE_MODAL,
        title=PlainTextObject(text="Update an action"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=context.dump(),
        blocks=[
            InputBlock(
                block_id=MODAL_ACTION,
                label="Action",
                element=StaticSelectElement(
                    action_id=MODAL_ACTION,
                    options=options,
                    initial_option=initial,
                    placeholder="Choose one of your actions",
                ),
            ),
            InputBlock(
                block_id=MODAL_RAG,
                label="RAG",
                element=RadioButtonsElement(
                    action_id=MODAL_RAG,
                    options=rag_options,
                    initial_option=next((o for o in rag_options if rag and o.value == rag.value), None),
                ),
            ),
            InputBlock(
                block_id=MODAL_NOTE,
                label="Reason",
                optional=True,
                hint="Red and Amber need a reason: what is off track and what is being done.",
                element=PlainTextInputElement(action_id=MODAL_NOTE, multiline=True, max_length=NOTE_LIMIT),
            ),
        ],
    )
