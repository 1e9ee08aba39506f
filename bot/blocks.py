"""Block Kit pieces shared by replies and scheduled messages, kept within Slack's limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.mrkdwn import clip, escape
from plan.figures import RagFigures
from plan.model import ActionState, PlanView, Rag
from plan.parsing import due_text
from plan.rules import overdue_text, working_days_overdue

MAX_BLOCKS = 50
SECTION_LIMIT = 3000

RAG_ICON = {
    Rag.RED: ":red_circle:",
    Rag.AMBER: ":large_orange_circle:",
    Rag.GREEN: ":large_green_circle:",
    Rag.COMPLETE: ":large_blue_circle:",
}


def rag_icon(rag: Rag | None) -> str:
    return RAG_ICON[rag] if rag else ":white_circle:"


def rag_badge(rag: Rag | None) -> str:
    """Icon and word together, so the status never depends on seeing colour."""
    return f"{RAG_ICON[rag]} {rag.label}" if rag else ":white_circle: Not rated"


def rag_line(rag: RagFigures) -> str:
    """Red, Amber and Green counts with their shares, in the plan's colours."""
    red, amber, green = rag.shares
    return (
        f"{RAG_ICON[Rag.RED]} Red {rag.red} ({red}%) · "
        f"{RAG_ICON[Rag.AMBER]} Amber {rag.amber} ({amber}%) · "
        f"{RAG_ICON[Rag.GREEN]} Green {rag.green} ({green}%)"
    )


def person_name(view: PlanView, person_id: int | None, *, mention: bool = False) -> str:
    """A person by name. ``mention`` only where they are meant to be nudged (a reply to the one
    who asked): posts in channels name people and never ping them."""
    person = view.person(person_id)
    if person is None:
        return "nobody"
    if mention and person.slack_user_id:
        return f"<@{person.slack_user_id}>"
    return escape(person.name)


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))


@cache
def _section_template() -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text="-")).to_dict()


def section_dict(text: str) -> dict[str, Any]:
    """``section(text).to_dict()`` for messages built thousands at a time (owners' reminders):
    slack_sdk's model checks itself on every ``to_dict`` (most of a tick's time at 100,000
    actions), so the section is built and checked once through the model and copied."""
    template = _section_template()
    return {**template, "text": {**template["text"], "text": clip(text, SECTION_LIMIT)}}


@cache
def _context_template() -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text="-")]).to_dict()


def context_dict(text: str) -> dict[str, Any]:
    """``context(text).to_dict()``, copied from one checked through the model (see ``section_dict``)."""
    template = _context_template()
    element = {**template["elements"][0], "text": clip(text, SECTION_LIMIT)}
    return {**template, "elements": [element]}


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_LIMIT))])


def action_line(
    action: ActionState, view: PlanView, today: dt.date, *, mention: bool = False, reason: bool = False
) -> str:
    """One action on one line: RAG in word and colour, ref, what, who, how late (in working
    days); with ``reason``, the latest reason under it."""
    late = working_days_overdue(action, today)
    when = overdue_text(late) if late else f"due {due_text(action.due_date)}"
    line = (
        f"{rag_badge(action.rag)} · *{escape(action.ref)}* {escape(clip(action.record.description, 120))} · "
        f"{person_name(view, action.owner_id, mention=mention)} · {when}"
    )
    if reason:
        line += f"\n      _{escape(clip(action.rag_note or 'no reason given', 200))}_"
    return line


# More lines than can ever fit in one message (50 sections of 3,000 characters, each line at
# least 60): a long list is cut to this before its lines are even written.
MOST_LINES = MAX_BLOCKS * SECTION_LIMIT // 60


def packed_lines(
    lines: Sequence[str], max_blocks: int, max_lines: int | None = None, total: int | None = None
) -> list[Block]:
    """Lines packed into as few sections as fit; what does not fit is counted, not dropped silently.

    ``total`` is how many lines the list has when only its first ones were written."""
    total = len(lines) if total is None else total
    shown_lines = lines[:max_lines] if max_lines is not None else lines
    blocks: list[Block] = []
    chunk, shown = "", 0
    for line in shown_lines:
        if chunk and len(chunk) + len(line) + 1 > SECTION_LIMIT:
            if len(blocks) >= max_blocks - 2:
                break
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
        shown += 1
    if chunk:
        blocks.append(section(chunk))
    if shown < total:
        blocks.append(context(f"…and {total - shown} more not shown."))
    return blocks
