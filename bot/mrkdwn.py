"""Escaping what users typed before it is echoed in Slack mrkdwn.

slack_sdk has no helper for this, so it is written here. Slack asks for exactly three
characters to be escaped (&, <, >); with them escaped a note containing `<!channel>` or
`<@U123>` shows as text and pings nobody.
"""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters with an ellipsis, for Block Kit's length limits."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
