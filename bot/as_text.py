"""Block Kit as plain text: how a message reads, for a terminal and for tests that review it.

Headers, sections, fields, context lines, buttons and menus are written out in order; emoji
codes become the emoji Slack shows; mrkdwn's escapes are undone and mentions shown as @id. Each
control gets a number ([1] Green [2] Amber …) so that a console can press it by number; the
numbers count on through a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

EMOJI = {
    ":red_circle:": "🔴",
    ":large_orange_circle:": "🟠",
    ":large_green_circle:": "🟢",
    ":large_blue_circle:": "🔵",
    ":white_circle:": "⚪",
    ":warning:": "⚠️",
    ":white_check_mark:": "✅",
}
_MENTION = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>")


@dataclass
class Control:
    """A button, or one option of a menu, as numbered in the text."""

    number: int
    action_id: str
    value: str
    label: str
    block_id: str | None = None
    confirm: bool = False  # Slack asks "are you sure?" before it is pressed


@dataclass
class Rendered:
    text: str
    controls: list[Control] = field(default_factory=list)


def render(
    message: dict[str, Any], first_number: int = 1, names: Mapping[str, str] | None = None
) -> Rendered:
    """A chat.postMessage payload (or a modal's view) as lines of text, and its controls;
    ``names`` shows a mention of a user id as Slack does, by the person's name."""
    out = Rendered("")
    lines: list[str] = []
    if "upload" in message:
        upload = message["upload"]
        return Rendered(f"📎 {upload['title']} ({upload['filename']})")
    blocks = message.get("blocks") or []
    if not blocks:
        return Rendered(inline(str(message.get("text", "")), names))
    counter = iter(range(first_number, 1_000_000))
    for block in blocks:
        lines += [inline(line, names) for line in _block(block, counter, out.controls)]
    out.text = "\n".join(lines)
    return out


def inline(mrkdwn: str, names: Mapping[str, str] | None = None) -> str:
    """mrkdwn as read: emoji, @mentions and #channels, escapes undone (once: text shown as
    ``&lt;!channel&gt;`` must not be read again as a mention)."""
    for code, emoji in EMOJI.items():
        mrkdwn = mrkdwn.replace(code, emoji)

    def shown(match: re.Match[str]) -> str:
        kind, target, label = match.groups()
        if kind == "!":
            return f"@{target}"
        if kind == "@" and names and target in names:
            return f"@{names[target]}"
        return f"{kind}{label or target}"

    mrkdwn = _MENTION.sub(shown, mrkdwn)
    return mrkdwn.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _block(block: dict[str, Any], counter: Iterator[int], controls: list[Control]) -> Iterator[str]:
    kind = block.get("type")
    if kind == "header":
        title = block["text"]["text"]
        yield f"━━ {title} ━━"
    elif kind == "section":
        if block.get("text"):
            yield block["text"]["text"]
        for item in block.get("fields") or []:
            yield "  " + item["text"].replace("\n", "  ")
        if block.get("accessory"):
            yield "  " + _element(block["accessory"], block.get("block_id"), counter, controls)
    elif kind == "context":
        yield "↳ " + " ".join(e.get("text", "") for e in block.get("elements", []))
    elif kind == "actions":
        elements = block.get("elements", [])
        yield "  " + " ".join(_element(e, block.get("block_id"), counter, controls) for e in elements)
    elif kind == "divider":
        yield "────"
    elif kind == "input":
        label = block.get("label", {}).get("text", "")
        yield f"{label}: " + _element(block.get("element", {}), block.get("block_id"), counter, controls)
    else:
        yield f"[{kind}]"


def _element(
    element: dict[str, Any], block_id: str | None, counter: Iterator[int], controls: list[Control]
) -> str:
    kind = element.get("type")
    if kind == "button":
        number = next(counter)
        label = element["text"]["text"]
        confirm = "confirm" in element
        controls.append(
            Control(number, element["action_id"], element.get("value", ""), label, block_id, confirm)
        )
        return f"[{number}] {label}{'…' if confirm else ''}"
    if kind in ("overflow", "static_select"):
        shown = []
        for option in element.get("options", []):
            number = next(counter)
            label = option["text"]["text"]
            controls.append(Control(number, element["action_id"], option["value"], label, block_id))
            shown.append(f"[{number}] {label}")
        return "▾ " + " ".join(shown)
    if kind == "plain_text_input":
        return "(text)"
    return f"[{kind}]"
