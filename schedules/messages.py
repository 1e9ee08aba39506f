"""Block Kit for scheduled messages: owners' reminders, escalations, the digest, the exemption report.

Each builder returns chat.postMessage payloads without a channel; the first payload is the
message and any others go in its thread, so a long digest is summarised up top and listed below
rather than refused by Slack.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks import (
    MAX_BLOCKS,
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
from bot.reminder_buttons import CHOICE_WORDS, action_menu, confirm_button, rag_buttons
from plan.clock import london_date
from plan.digest import DUE_SOON_DAYS, Digest, ExemptionLine, exemption_line
from plan.figures import PriorityFigures
from plan.model import ActionState, PlanView, Rag, Shortlist
from plan.parsing import due_text, plural, uk_date
from plan.reminders import Item, OwnerNotice, Why
from plan.rules import SEVERITY, overdue_text, working_days_overdue, worst_first

Message = dict[str, Any]
BUTTONS_UP_TO = 5  # actions a reminder gives a row of buttons each (five elements a row)
MAX_ITEMS = 20  # actions a reminder lists in full; past BUTTONS_UP_TO, each has a menu
MORE_REFS = 20  # refs named after those, before "and N more"
HEAD_LINES = 5  # actions named in the digest's own message, under each heading
LIST_SHOWN = 30  # actions listed in each of the digest's thread replies, worst first
REDS_SHOWN = 100  # Red actions listed in the exemption report's thread
LIST_BUDGET = 10_000  # characters of lines in one list message, its title and "and N more" aside
HEAD_BUDGET = 2_000  # characters of lines under each heading of the digest's own message
FIELD_LIMIT = 2000  # Block Kit's most for a section field's text
TITLE_LIMIT = 150  # characters of a priority's title shown (a tracker's cell may hold 32,767)
# No message carries more text than this, whatever the plan's size: each list above stops at
# its worst few, and each line is clipped (tests/test_message_sizes.py holds it at 3,000 actions).
MAX_MESSAGE_TEXT = 12_000


def _message(text: str, blocks: Sequence[Block]) -> Message:
    """``text`` is the plain fallback notifications show: escaped here, so nothing in it pings."""
    return {"text": escape(text), "blocks": [block.to_dict() for block in blocks]}


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {uk_date(day)}"


# --- owners -------------------------------------------------------------------------------


def owner_reminder(notice: OwnerNotice, day: dt.date) -> Message:
    """One message per owner per day, the most pressing first: overdue (Red first, the latest
    first), then due soon, then ratings to confirm. Up to five actions get a row of buttons each;
    more get a menu each, so no reminder carries more than about 25 controls. Then the refs of
    some more and how many others there are."""
    items = sorted(notice.items, key=_pressing)
    header = HeaderBlock(text=clip(f"Your improvement plan actions, {_long_date(day)}", 150))
    blocks: list[dict[str, Any]] = [header.to_dict()]
    compact = len(items) > BUTTONS_UP_TO
    for item in items:
        action = item.action
        if item.why is Why.STALE:
            blocks += [section_dict(_stale_text(action)), confirm_button(action)]
        elif compact:
            blocks.append({**section_dict(_item_text(item)), **action_menu(action)})
        else:
            blocks += [section_dict(_item_text(item)), rag_buttons(action)]
    blocks.append(context_dict(CHOICE_WORDS))
    unlisted = notice.total - len(items) - len(notice.more_refs)
    if notice.more_refs:
        more = f" and {unlisted} more" if unlisted else ""
        also = (
            f"Also needing an update: {', '.join(escape(ref) for ref in notice.more_refs)}{more}. "
            "Use `/csip update <ref> <rag> <note>`."
        )
        blocks.append(context_dict(also))
    count = notice.total
    text = f"{count} of your improvement plan actions {'needs' if count == 1 else 'need'} a look today."
    return {"text": text, "blocks": blocks}


def _pressing(item: Item) -> tuple[int, int, int]:
    """Overdue first, Red before Amber before Green, the latest first; then what falls due
    soonest; then the ratings to confirm."""
    if item.why is Why.OVERDUE:
        return 0, SEVERITY[item.action.rag], -item.working_days
    return (1 if item.why is Why.DUE_SOON else 2), 0, item.working_days


def _item_text(item: Item) -> str:
    action = item.action
    due = due_text(action.due_date)
    timing = (
        f"due {due}, in {_working_days(item.working_days)}"
        if item.why is Why.DUE_SOON
        else f"*{overdue_text(item.working_days)}* (was due {due})"
    )
    what = escape(clip(action.record.description, 150))
    return f"{rag_badge(action.rag)} · *{escape(action.ref)}* {what}\n{timing}"


def _stale_text(action: ActionState) -> str:
    label = action.rag.label if action.rag else "rated"
    since = uk_date(london_date(action.rag_confirmed_at)) if action.rag_confirmed_at else "a while"
    return (
        f"*Still {label}?* *{escape(action.ref)}* {escape(clip(action.record.description, 150))}\n"
        f"Last confirmed {since}."
    )


def _working_days(count: int) -> str:
    return plural(count, "working day")


# --- escalations --------------------------------------------------------------------------


def escalation(items: Sequence[Item], view: PlanView, day: dt.date, after: int) -> Message:
    """Actions that reached ``after`` working days overdue today, worst first, named not pinged:
    the lead reads it in a DM, management in its channel."""
    count = len(items)
    title = f"{_actions(count)} now {overdue_text(after)}"
    ordered = worst_first(item.action for item in items)
    lines = _within([action_line(a, view, day, reason=True) for a in ordered[:LIST_SHOWN]], LIST_BUDGET)
    blocks: list[Block] = [HeaderBlock(text=clip(title, 150)), *_lines_with_more(lines, count)]
    return _message(f"{title}: {', '.join(a.ref for a in ordered[:MORE_REFS])}", blocks)


# --- an action gone Red -------------------------------------------------------------------


def red_alert(action: ActionState, view: PlanView) -> Message:
    """One line: which action went Red, in which priority, whose, and why. Names, never pings."""
    priority = view.priorities.get(action.priority)
    where = f"priority {action.priority}" + (f" {escape(clip(priority.title, 100))}" if priority else "")
    reason = escape(clip(action.rag_note or "no reason given", 300))
    line = (
        f"{RAG_ICON[Rag.RED]} *{escape(action.ref)}* {escape(clip(action.record.description, 150))} "
        f"({where}) went Red · {person_name(view, action.owner_id)} · _{reason}_"
    )
    return _message(
        f"{action.ref} went Red: {clip(action.rag_note or 'no reason given', 150)}", [section(line)]
    )


def red_alerts(actions: Sequence[ActionState], view: PlanView, day: dt.date) -> Message:
    """Several gone Red at once (an import): one message, worst first, with how many more."""
    title = f"{_actions(len(actions))} went Red"
    lines = _within([action_line(a, view, day, reason=True) for a in actions], LIST_BUDGET)
    return _message(
        f"{title}: {_refs(actions)}", [section(f"*{title}*"), *_lines_with_more(lines, len(actions))]
    )


# --- the weekly digest --------------------------------------------------------------------


def digest(summary: Digest) -> list[Message]:
    """The digest: what a Director must act on, in one screen; then its lists in the thread.

    Up top: the RAG figures, what moved this week with the reasons, the Reds that have been Red
    the longest, and the plan by priority. In the thread: the overdue actions (not those still
    rated Green, which are counted apart) grouped by priority, worst first; what falls due in
    the next two weeks; owners csip cannot reach (only when there are some). Every list stops
    after its worst few with "and N more"; the workbook attached lists them all."""
    figures, rag = summary.figures, summary.figures.rag
    blocks: list[Block] = [
        HeaderBlock(text=f"Improvement plan digest, {_long_date(summary.on)}"),
        section(
            f"{rag_line(rag)}\n"
            f"_of the {_actions(rag.rated)} due by today and rated, out of {_actions(figures.total)}_"
        ),
        section(_overdue_summary(summary)),
        section(_moved(summary)),
    ]
    if summary.longest_red.actions:
        longest = summary.longest_red
        lines = _within(
            [_red_line(action, longest.view, summary.on) for action in longest.actions], HEAD_BUDGET
        )
        blocks.append(section("*Red the longest*\n" + "\n".join(lines)))
    blocks += _priority_fields(summary)
    blocks.append(context(_in_the_thread(summary)))
    head = _message(
        f"Improvement plan digest, {uk_date(summary.on)}: Red {rag.red}, Amber {rag.amber}, "
        f"Green {rag.green}; {summary.overdue_not_green} overdue",
        blocks,
    )
    thread = [_overdue_by_priority(summary)] if summary.overdue.total else []
    if summary.due_soon.total:
        lines = [action_line(a, summary.due_soon.view, summary.on) for a in summary.due_soon.actions]
        thread.append(_list_message(f"Due in the next {DUE_SOON_DAYS} days", lines, summary.due_soon.total))
    if summary.unreachable:
        names = [f"{escape(p.name)} ({escape(p.key)})" for p in summary.unreachable]
        title = "Owners csip cannot find in Slack: no reminders reach them"
        thread.append(_list_message(title, names, len(names)))
    return [head, *thread]


def chart_upload(png: bytes, day: dt.date) -> Message:
    """A file for the digest's thread (sent with files_upload_v2, not chat.postMessage)."""
    return _upload(png, f"rag-by-priority-{day.isoformat()}.png", f"RAG by priority, {uk_date(day)}")


def workbook_upload(xlsx: bytes, day: dt.date) -> Message:
    """The digest's lists in full, as a workbook in its thread."""
    return _upload(
        xlsx, f"digest-lists-{day.isoformat()}.xlsx", f"Every action in the digest's lists, {uk_date(day)}"
    )


def _upload(content: bytes, filename: str, title: str) -> Message:
    return {
        "upload": {"filename": filename, "title": title, "content": base64.b64encode(content).decode("ascii")}
    }


def _overdue_summary(summary: Digest) -> str:
    text = f"*{_actions(summary.overdue_not_green)} overdue* (Red, Amber or not rated, past their due date)"
    if summary.past_due_green:
        text += (
            f"\n*{summary.past_due_green} past due but Green:* confirm complete or re-rate"
            f" ({'it is' if summary.past_due_green == 1 else 'they are'} not in the overdue list)"
        )
    return text


def _moved(summary: Digest) -> str:
    went, left = summary.went_red, summary.left_red
    if not went and not left:
        return "*Since last week:* no action went Red and none left Red."
    counts = []
    if went:
        counts.append(f"{len(went)} went Red")
    if left:
        counts.append(f"{len(left)} left Red ({_refs(left)})")
    shown = _within(
        [_red_line(action, summary.moved, summary.on) for action in went[:HEAD_LINES]], HEAD_BUDGET
    )
    lines = [f"*Since last week:* {'; '.join(counts)}.", *shown]
    if len(went) > len(shown):
        lines.append(f"…and {len(went) - len(shown)} more went Red: the workbook in the thread lists them.")
    return "\n".join(lines)


def _red_line(action: ActionState, view: PlanView, day: dt.date) -> str:
    return action_line(action, view, day, reason=True)


def _refs(actions: Sequence[ActionState], limit: int = MORE_REFS) -> str:
    refs = [escape(a.ref) for a in actions]
    more = f" and {len(refs) - limit} more" if len(refs) > limit else ""
    return ", ".join(refs[:limit]) + more


def _priority_fields(summary: Digest) -> list[Block]:
    """The plan by priority, a field each with its title (up to 150 characters: a real one is
    shorter), ten to a section (Block Kit's most); no code block, so a title holding backticks
    cannot open or close one."""
    fields = [
        MarkdownTextObject(
            text=clip(
                f"*{row.number}. {escape(clip(row.title, TITLE_LIMIT))}*\n"
                f"{RAG_ICON[Rag.RED]} {row.rag.red} · {RAG_ICON[Rag.AMBER]} {row.rag.amber} · "
                f"{RAG_ICON[Rag.GREEN]} {row.rag.green} of {row.due} due",
                FIELD_LIMIT,
            )
        )
        for row in summary.priorities
    ]
    if not fields:
        return []
    blocks: list[Block] = [
        section("*By priority* (Red · Amber · Green of the actions due)\n" + _red_spread(summary))
    ]
    blocks += [SectionBlock(fields=fields[i : i + 10]) for i in range(0, len(fields), 10)]
    return blocks


def _red_spread(summary: Digest) -> str:
    def name(row: PriorityFigures) -> str:
        return f"priority {row.number}" + (f" {escape(clip(row.title, TITLE_LIMIT))}" if row.title else "")

    no_red = ", ".join(str(row.number) for row in summary.without_red) or "none"
    if summary.most_red:
        most = " and ".join(name(row) for row in summary.most_red) + f" ({summary.most_red[0].rag.red})"
    else:
        most = "none: no action is Red"
    return f"*Most Red:* {most} · *No Red:* {'priorities ' if summary.without_red else ''}{no_red}"


def _in_the_thread(summary: Digest) -> str:
    parts = []
    if summary.overdue.total:
        parts.append(f"{_actions(summary.overdue.total)} overdue by priority")
    if summary.due_soon.total:
        parts.append(f"{summary.due_soon.total} due in the next {DUE_SOON_DAYS} days")
    if summary.unreachable:
        parts.append(f"{plural(len(summary.unreachable), 'owner')} csip cannot reach")
    if not parts:
        return "Nothing is overdue or due in the next two weeks."
    return "In the thread: " + ", ".join(parts) + "; a chart, and every list in full in a workbook."


def _overdue_by_priority(summary: Digest) -> Message:
    """The worst overdue actions, grouped under their priority; how many more, and where."""
    shortlist, day = summary.overdue, summary.on
    lines_of = {a.ref: action_line(a, shortlist.view, day) for a in shortlist.actions[:LIST_SHOWN]}
    fitting = _within(list(lines_of.values()), LIST_BUDGET - 10 * 300)  # room for ten headings
    shown = shortlist.actions[: len(fitting)]
    lines: list[str] = []
    for number in sorted({a.priority for a in shown}):
        priority = shortlist.view.priorities.get(number)
        title = f" {escape(clip(priority.title, TITLE_LIMIT))}" if priority else ""
        lines.append(f"*Priority {number}*{title}")
        lines += [lines_of[a.ref] for a in shown if a.priority == number]
    title = f"Overdue: {_actions(shortlist.total)}, worst first"
    blocks: list[Block] = [section(f"*{title}*"), *packed_lines(lines, MAX_BLOCKS - 2)]
    if shortlist.total > len(shown):
        blocks.append(context(f"…and {shortlist.total - len(shown)} more: all are in the workbook above."))
    return _message(title, blocks)


def _list_message(title: str, lines: Sequence[str], total: int) -> Message:
    blocks: list[Block] = [
        section(f"*{escape(title)}* ({total})"),
        *_lines_with_more(_within(lines[:LIST_SHOWN], LIST_BUDGET), total),
    ]
    return _message(f"{title}: {total}", blocks)


def _within(lines: Sequence[str], budget: int) -> list[str]:
    """The first lines that fit in ``budget`` characters: what a message shows of a list (the
    rest is counted), so that no message is long whatever the plan holds."""
    fitting, used = [], 0
    for line in lines:
        used += len(line) + 1
        if used > budget:
            break
        fitting.append(line)
    return fitting


def _lines_with_more(lines: Sequence[str], total: int) -> list[Block]:
    blocks = packed_lines(lines, MAX_BLOCKS - 2)
    if total > len(lines):
        blocks.append(context(f"…and {total - len(lines)} more."))
    return blocks


# --- the monthly exemption report ---------------------------------------------------------


def exemption_report(reds: Shortlist, day: dt.date) -> list[Message]:
    """The governance board's list of Red actions: the count by priority up top, then the Reds
    in the thread, the longest overdue first, a few to a message, and how many more there are."""
    by_priority = Counter(action.priority for action in reds.actions)
    overdue = sum(1 for action in reds.actions if working_days_overdue(action, day))
    if reds.total:
        summary = (
            f"*{_actions(reds.total)} RAG rated Red.* "
            + _how_many_overdue(overdue, len(reds.actions))
            + ("The longest overdue are" if reds.more else "Each is")
            + " listed in the thread with the owner, how late, since when Red and the latest reason."
        )
        where = ", ".join(f"priority {n}: {c}" for n, c in sorted(by_priority.items()))
        blocks: list[Block] = [
            HeaderBlock(text=f"Exemption report, {uk_date(day)}"),
            section(summary),
            context(f"Red by priority: {where}"),
        ]
    else:
        blocks = [
            HeaderBlock(text=f"Exemption report, {uk_date(day)}"),
            section("*No action is RAG rated Red.*"),
        ]
    head = _message(f"Exemption report, {uk_date(day)}: {_actions(reds.total)} RAG rated Red", blocks)
    thread, first = [], 1
    for part in _parts([_red(exemption_line(action, day), reds.view) for action in reds.actions]):
        thread.append(_message(f"Red actions, {first} to {first + len(part) - 1}", part))
        first += len(part)
    if reds.more and thread:
        more = context(f"…and {reds.more} more Red actions: `csip report --format xlsx` lists every one.")
        thread[-1]["blocks"].append(more.to_dict())
    return [head, *thread]


def _how_many_overdue(overdue: int, listed: int) -> str:
    if overdue == 0:
        return "None is overdue yet. "
    if overdue == listed:
        return "All are overdue. " if listed > 1 else "It is overdue. "
    return f"{overdue} of the {listed} listed {'is' if overdue == 1 else 'are'} overdue. "


def _parts(sections: list[SectionBlock]) -> Iterator[list[SectionBlock]]:
    """Sections a message each can hold: within the list budget and Block Kit's block count."""
    part: list[SectionBlock] = []
    used = 0
    for block in sections:
        size = len(block.text.text) if block.text else 0
        if part and (used + size > LIST_BUDGET or len(part) == MAX_BLOCKS - 1):
            yield part
            part, used = [], 0
        part.append(block)
        used += size
    if part:
        yield part


def _red(line: ExemptionLine, view: PlanView) -> SectionBlock:
    action = line.action
    late = overdue_text(line.working_days_overdue) if line.working_days_overdue else "not yet overdue"
    since = f"Red since {uk_date(line.red_since)}" if line.red_since else "Red"
    reason = escape(clip(action.rag_note or "no reason given", 300))
    return section(
        f"{RAG_ICON[Rag.RED]} *{escape(action.ref)}* {escape(clip(action.record.description, 150))}\n"
        f"{person_name(view, action.owner_id)} · {late} · {since}\n"
        f"_{reason}_"
    )


def _actions(count: int) -> str:
    return plural(count, "action")
