"""Reading `/csip …` command text into a request the handlers can act on."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from plan.errors import InputError
from plan.model import Rag
from plan.parsing import parse_date, parse_rag, parse_ref

USAGE = {
    "update": "/csip update <ref> <red|amber|green|complete> <note>",
    "show": "/csip show <ref>",
    "due": "/csip due <ref> <dd/mm/yyyy> <reason>",
    "assign": "/csip assign <ref> @someone",
    "summary": "/csip summary [priority]",
    "report": "/csip report [dd/mm/yyyy]",
    "settings": "/csip settings [digest|governance|management|red-alerts #channel] [admins @a @b]",
}
VERBS = frozenset({*USAGE, "mine", "overdue", "help"})


def verb_of(text: str) -> str:
    """The command's first word if it is one csip knows, else "other" (a bounded set of names,
    for the metrics)."""
    words = text.split(maxsplit=1)
    verb = words[0].lower() if words else "help"
    return verb if verb in VERBS else "other"


_PRIORITY = re.compile(r"0*[0-9]{1,4}")  # leading zeros as typed; never a huge number
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_LINK = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_ID = re.compile(r"^[CGUW][A-Z0-9]{2,31}$")


@dataclass(frozen=True)
class Help:
    problem: str = ""


@dataclass(frozen=True)
class OpenUpdateModal:
    ref: str | None = None


@dataclass(frozen=True)
class UpdateRag:
    ref: str
    rag: Rag
    note: str


@dataclass(frozen=True)
class Show:
    ref: str


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class Overdue:
    pass


@dataclass(frozen=True)
class Summary:
    priority: int | None = None


@dataclass(frozen=True)
class Report:
    as_at: dt.date | None = None


@dataclass(frozen=True)
class Reschedule:
    ref: str
    due: dt.date
    reason: str


@dataclass(frozen=True)
class Reassign:
    ref: str
    user_id: str


@dataclass(frozen=True)
class ShowSettings:
    pass


@dataclass(frozen=True)
class ChangeSetting:
    setting: str  # a name from plan.workspaces.SETTINGS
    ids: tuple[str, ...]  # Slack channel or user ids; none: unset


Command = (
    Help
    | OpenUpdateModal
    | UpdateRag
    | Show
    | Mine
    | Overdue
    | Summary
    | Report
    | Reschedule
    | Reassign
    | ShowSettings
    | ChangeSetting
)


def parse_command(text: str) -> Command:
    """Parse the text after `/csip`; a malformed command raises InputError with its usage."""
    words = text.split()
    if not words:
        return Help()
    verb, args = words[0].lower(), words[1:]
    if verb == "help":
        return Help()
    if verb == "update":
        if len(args) < 2:
            return OpenUpdateModal(parse_ref(args[0]) if args else None)
        return UpdateRag(parse_ref(args[0]), parse_rag(args[1]), _after(text, 3))
    if verb == "show":
        _need(args, 1, "show")
        return Show(parse_ref(args[0]))
    if verb == "mine":
        return Mine()
    if verb == "overdue":
        return Overdue()
    if verb == "summary":
        return Summary(_priority(args[0]) if args else None)
    if verb == "report":
        return Report(parse_date(args[0]) if args else None)
    if verb == "due":
        _need(args, 2, "due")
        return Reschedule(parse_ref(args[0]), parse_date(args[1]), _after(text, 3))
    if verb == "assign":
        _need(args, 2, "assign")
        return Reassign(parse_ref(args[0]), _mention(args[1]))
    if verb == "settings":
        if not args:
            return ShowSettings()
        return ChangeSetting(args[0].lower(), tuple(_slack_id(arg) for arg in args[1:]))
    return Help(problem=f"I don't know the command '{verb}'.")


def _after(text: str, words: int) -> str:
    """The text after the first ``words`` words, with its own spacing and line breaks kept."""
    parts = text.strip().split(maxsplit=words)
    return parts[words].strip() if len(parts) > words else ""


def _need(args: list[str], count: int, verb: str) -> None:
    if len(args) < count:
        raise InputError(f"Usage: {USAGE[verb]}")


def _priority(text: str) -> int:
    """Plain digits only: str.isdigit() would let through "²", which int() cannot read."""
    if not _PRIORITY.fullmatch(text):
        raise InputError(f"'{text[:20]}' is not a priority number. Usage: {USAGE['summary']}")
    return int(text)


def _mention(text: str) -> str:
    match = _MENTION.match(text)
    if not match:
        raise InputError(
            f"Mention the new owner with @ so that Slack sends who they are. Usage: {USAGE['assign']}"
        )
    return match.group(1)


def _slack_id(text: str) -> str:
    """A channel or a person as Slack sends them once picked from its list (``<#C…|name>``,
    ``<@U…>``), or an id typed as it is."""
    for link in (_CHANNEL_LINK, _MENTION):
        match = link.match(text)
        if match:
            return match.group(1)
    if _SLACK_ID.match(text):
        return text
    raise InputError(
        f"'{text[:40]}' is not a channel or a person Slack has named: pick them from the list "
        f"Slack shows as you type # or @. Usage: {USAGE['settings']}"
    )
