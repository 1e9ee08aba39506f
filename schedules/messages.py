"""Block Kit for scheduled messages: owners' reminders, escalations, the digest, the exemption report.

Each builder returns chat.postMessage payloads without a channel; the first payload is the
message and any others go in its thread, so a long digest is summarised up top and listed below
rather than refused by Slack.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.blocks import (
    MAX_BLOCKS,
    MOST_LINES,
    RAG_ICON,
    action_line,
    context,
    context_dict,
    packed_lines,
    person_name,
    rag_badge,
    rag_line,
    section,
    section_dict,
)
from bot.mrkdwn import clip, escape
from bot.reminder_buttons import confirm_button, rag_buttons
from plan.clock import london_date
from plan.digest import Digest, ExemptionLine, exemption_line
from plan.figures import PriorityFigures
from plan.model import ActionState, PlanView, Rag, Shortlist
from plan.parsing import due_text, uk_date
from plan.reminders import Item, OwnerNotice, Why

Message = dict[str, Any]
MAX_ITEMS = (MAX_BLOCKS - 3) // 2  # each action takes a section and a row of buttons
MORE_REFS = 20  # refs named after those, before "and N more"
LIST_SHOWN = 50  # actions listed in each of the digest's lists, worst first
REDS_SHOWN = 100  # Red actions listed in the exemption report's thread


def _message(text: str, blocks: Sequence[Block]) -> Message:
    """``text`` is the plain fallback notifications show: escaped here, so nothing in it pings."""
    return {"text": escape(text), "blocks": [block.to_dict() for block in blocks]}


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {uk_date(day)}"


# --- owners -------------------------------------------------------------------------------


def owner_reminder(notice: OwnerNotice, day: dt.date) -> Message:
    """One message per owner per day: the most pressing actions each with its own buttons, then
    the refs of some more and how many others there are."""
    header = HeaderBlock(text=clip(f"Your improvement plan actions, {_long_date(day)}", 150))
    blocks: list[dict[str, Any]] = [header.to_dict()]
    for item in notice.items:
        if item.why is Why.STALE:
            blocks += [section_dict(_stale_text(item.action)), confirm_button(item.action)]
        else:
            blocks += [section_dict(_item_text(item)), rag_buttons(item.action)]
    unlisted = notice.total - len(notice.items) - len(notice.more_refs)
    if notice.more_refs:
        more = f" and {unlisted} more" if unlisted else ""
        also = (
            f"Also needing an update: {', '.join(escape(ref) for ref in notice.more_refs)}{more}. "
            "Use `/csip update <ref> <rag> <note>`."
        )
        blocks.append(context_dict(also))
    return {"text": f"{notice.total} of your improvement plan actions need a look today.", "blocks": blocks}


def _item_text(item: Item) -> str:
    action = item.action
    due = due_text(action.due_date)
    timing = (
        f"due {due}, in {_working_days(item.working_days)}"
        if item.why is Why.DUE_SOON
        else f"*{_working_days(item.working_days)} overdue* (was due {due})"
    )
    what = escape(clip(action.record.description, 300))
    return f"{rag_badge(action.rag)} · *{escape(action.ref)}* {what}\n{timing}"


def _stale_text(action: ActionState) -> str:
    label = action.rag.label if action.rag else "rated"
    since = uk_date(london_date(action.rag_confirmed_at)) if action.rag_confirmed_at else "a while"
    return (
        f"*Still {label}?* *{escape(action.ref)}* {escape(clip(action.record.description, 300))}\n"
        f"Last confirmed {since}."
    )


def _working_days(count: int) -> str:
    return f"{count} working day{'s' if count != 1 else ''}"


# --- escalations --------------------------------------------------------------------------


def escalation(items: Sequence[Item], view: PlanView, day: dt.date, after: int) -> Message:
    title = f"Actions now {_working_days(after)} overdue"
    lines = [action_line(item.action, view, day) for item in items[:MOST_LINES]]
    blocks: list[Block] = [HeaderBlock(text=title), *packed_lines(lines, MAX_BLOCKS - 1, total=len(items))]
    return _message(f"{title}: {', '.join(item.action.ref for item in items)}", blocks)


# --- the weekly digest --------------------------------------------------------------------


def digest(summary: Digest) -> list[Message]:
    """The digest message, then its lists in the thread."""
    figures, rag = summary.figures, summary.figures.rag
    blocks: list[Block] = [
        HeaderBlock(text=f"Improvement plan digest, {uk_date(summary.on)}"),
        section(
            f"*{figures.total}* actions · *{figures.due}* due ({figures.due_share}%) · "
            f"*{figures.overdue}* overdue\n"
            f"Of the {rag.rated} due and rated: {rag_line(rag)}"
        ),
        section(_moved(summary)),
        section(_priority_table(summary)),
        section(_red_by_priority(summary)),
        context(
            f"In the thread: {summary.due_soon.total} due in the next 14 days, "
            f"{summary.overdue.total} overdue, {len(summary.unreachable)} owners csip cannot reach."
        ),
    ]
    head = _message(
        f"Improvement plan digest: Red {rag.red}, Amber {rag.amber}, Green {rag.green}; "
        f"{figures.overdue} overdue",
        blocks,
    )

    def listed(title: str, shortlist: Shortlist) -> Message:
        lines = [action_line(action, shortlist.view, summary.on) for action in shortlist.actions]
        return _list_message(title, lines, shortlist.total)

    unreachable = [f"{escape(p.name)} ({escape(p.key)})" for p in summary.unreachable]
    return [
        head,
        listed("Due in the next 14 days", summary.due_soon),
        listed("Overdue, worst first", summary.overdue),
        _list_message(
            "Owners csip cannot find in Slack (no reminders reach them)", unreachable, len(unreachable)
        ),
    ]


def chart_upload(png: bytes, day: dt.date) -> Message:
    """A file for the digest's thread (sent with files_upload_v2, not chat.postMessage)."""
    return {
        "upload": {
            "filename": f"rag-by-priority-{day.isoformat()}.png",
            "title": f"RAG by priority, {uk_date(day)}",
            "content": base64.b64encode(png).decode("ascii"),
        }
    }


def _refs(actions: Sequence[ActionState], limit: int = 30) -> str:
    refs = [a.ref for a in actions]
    more = f" and {len(refs) - limit} more" if len(refs) > limit else ""
    return ", ".join(refs[:limit]) + more


def _moved(summary: Digest) -> str:
    went, left = summary.went_red, summary.left_red
    parts = [f"{len(went)} went Red" + (f" ({_refs(went)})" if went else "")]
    parts.append(f"{len(left)} left Red" + (f" ({_refs(left)})" if left else ""))
    return "*Since last week:* " + "; ".join(parts) + "."


def _priority_table(summary: Digest) -> str:
    """A line per priority. Not a code block: a title holding three backticks would close one,
    and whatever followed it would be live."""
    rows = ["*By priority* (due: Red · Amber · Green)"]
    for row in summary.priorities:
        title = f" {escape(row.title)}" if row.title else ""
        rows.append(
            f"*{row.number}*{title}: {row.due} due · {RAG_ICON[Rag.RED]} {row.rag.red} · "
            f"{RAG_ICON[Rag.AMBER]} {row.rag.amber} · {RAG_ICON[Rag.GREEN]} {row.rag.green}"
        )
    return clip("\n".join(rows), 2990)


def _red_by_priority(summary: Digest) -> str:
    def name(row: PriorityFigures) -> str:
        return f"priority {row.number}" + (f" {escape(row.title)}" if row.title else "")

    no_red = ", ".join(name(r) for r in summary.without_red) or "none"
    if summary.most_red:
        top = " and ".join(name(r) for r in summary.most_red)
        most = f"{top}, with {summary.most_red[0].rag.red} Red"
    else:
        most = "no priority has a Red action"
    return f"*No Red:* {no_red}.\n*Most Red:* {most}."


def _list_message(title: str, lines: Sequence[str], total: int) -> Message:
    body = packed_lines(lines, MAX_BLOCKS - 1, total=total) if lines else [section("None.")]
    return _message(f"{title}: {total}", [section(f"*{escape(title)}* ({total})"), *body])


# --- the monthly exemption report ---------------------------------------------------------


def exemption_report(reds: Shortlist, day: dt.date) -> list[Message]:
    """The governance board's list of Red actions: a heading, then the Reds in the thread, the
    longest overdue first, and how many more there are."""
    head = _message(
        f"Exemption report, {uk_date(day)}: {reds.total} Red actions",
        [
            HeaderBlock(text=f"Exemption report, {uk_date(day)}"),
            section(
                f"*{reds.total}* actions are RAG rated Red. "
                + (f"The {len(reds.actions)} longest overdue are" if reds.more else "Each is")
                + " listed in the thread with the owner, how late, how long Red and the latest reason."
            ),
        ],
    )
    blocks = [_red(exemption_line(action, day), reds.view) for action in reds.actions]
    if reds.more:
        blocks.append(
            context(f"…and {reds.more} more Red actions: `csip report --format xlsx` lists every one.")
        )
    per_message = MAX_BLOCKS - 1
    parts = [blocks[i : i + per_message] for i in range(0, len(blocks), per_message)]
    return [head, *(_message(f"Red actions, part {n + 1}", part) for n, part in enumerate(parts))]


def _red(line: ExemptionLine, view: PlanView) -> Block:
    action = line.action
    late = f"{line.days_overdue} days overdue" if line.days_overdue else "not yet overdue"
    reason = escape(clip(action.rag_note or "no reason given", 1500))
    return section(
        f"{RAG_ICON[Rag.RED]} *{escape(action.ref)}* {escape(clip(action.record.description, 500))}\n"
        f"Owner {person_name(view, action.owner_id)} · {late} · Red for {line.days_red} days\n"
        f"Reason: {reason}"
    )
