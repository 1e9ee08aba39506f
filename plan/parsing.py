"""Reading what people type or keep in spreadsheets: RAG words, UK dates, refs.

Every parser raises :class:`InputError` with a message fit to show the person who typed it.
"""

from __future__ import annotations

import datetime as dt
import re

from plan.errors import InputError
from plan.model import Rag

_RAG_WORDS: dict[str, Rag] = {
    "r": Rag.RED,
    "red": Rag.RED,
    "a": Rag.AMBER,
    "amber": Rag.AMBER,
    "g": Rag.GREEN,
    "green": Rag.GREEN,
    "c": Rag.COMPLETE,
    "complete": Rag.COMPLETE,
    "completed": Rag.COMPLETE,
    "b": Rag.COMPLETE,
    "blue": Rag.COMPLETE,
}


def parse_rag(text: str) -> Rag:
    """`Red`, `R`, `red `, `AMBER`, `G`, `Complete` or `Blue` to a RAG status."""
    rag = _RAG_WORDS.get(text.strip().lower())
    if rag is None:
        raise InputError(f"'{text.strip()}' is not a RAG status: use red, amber, green or complete.")
    return rag


_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MIDNIGHT = re.compile(r"[ T]00:00(:00(\.0+)?)?$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


def parse_date(text: str) -> dt.date:
    """A date as people write it in the UK: `31/10/2017` (always day first) or `2017-10-31`.

    Dates Excel has mangled are refused with a message that says what happened: a serial
    number such as `43039`, a column too narrow (`#####`), or a two-digit year.
    """
    cleaned = _MIDNIGHT.sub("", text.strip())
    if not cleaned:
        raise InputError("the date is missing: write it as dd/mm/yyyy, e.g. 31/10/2017.")
    if _EXCEL_SERIAL.match(cleaned):
        raise InputError(
            f"'{text.strip()}' looks like an Excel date serial number, not a date: "
            "format the cells as dates and write them as dd/mm/yyyy."
        )
    if set(cleaned) == {"#"}:
        raise InputError("the date shows as '#####' (the column was too narrow when saved).")
    match = _UK_DATE.match(cleaned)
    if match:
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise InputError(f"'{text.strip()}' is not a date: write it as dd/mm/yyyy, e.g. 31/10/2017.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise InputError(f"'{text.strip()}' is not a real date (dates are day first: dd/mm/yyyy).") from None


_REF = re.compile(r"^[A-Za-z]?\d+(\.\d+)*[a-z]?$")


def parse_ref(text: str) -> str:
    """An action reference such as `5.3`; a trailing full stop (`5.3.`) is forgiven."""
    ref = text.strip().rstrip(".")
    if not _REF.match(ref):
        raise InputError(f"'{text.strip()}' is not an action reference like 5.3.")
    return ref


def priority_of_ref(ref: str) -> int | None:
    """The priority an action ref belongs to by convention: `5.3` is in priority 5."""
    match = re.match(r"^[A-Za-z]?(\d+)", ref)
    return int(match.group(1)) if match else None


def plural(count: int, word: str) -> str:
    """ "1 action", "2 actions": a count with its noun, right for one."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def uk_date(day: dt.date) -> str:
    """Dates shown the UK way: 31 August 2017."""
    return f"{day.day} {day:%B %Y}"


def due_text(day: dt.date | None) -> str:
    """A due date the UK way, or "no date" for an action that has none."""
    return uk_date(day) if day else "no date"
