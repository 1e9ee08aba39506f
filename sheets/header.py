"""Finding a tracker's header row and which column holds what, whatever the council calls it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sheets.cells import Cell

# Header spellings per column, compared after dropping case, spaces and punctuation.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "reference", "actionref", "actionno", "actionnumber"),
    "priority": ("priority", "priorityno", "prioritynumber"),
    "priority_title": ("prioritytitle", "priorityname", "prioritytheme"),
    "recommendation": ("recommendation", "recommendations", "ofstedrecommendation"),
    "action": ("action", "actiondescription", "description"),
    "owner": ("owner", "actionowner"),
    "lead": ("lead", "prioritylead"),
    "delegates": ("delegates", "delegate"),
    "due": ("duedate", "due", "deadline"),
    "rag": ("rag", "ragstatus", "ragrating"),
    "note": ("note", "notes", "latestupdate", "reason"),
}
# Columns csip writes on export for people to read; an import passes over them quietly.
EXPORT_ONLY = ("originalduedate", "lastupdate", "lastupdated", "completed")
REQUIRED = ("ref", "action", "owner", "due")
HEADER_SEARCH_ROWS = 30


def normalise_header(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


def find_header(grid: Sequence[Sequence[Cell]]) -> int | None:
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = {name for name, _ in _known_columns(row)}
        if {"ref", "owner"} <= found or {"ref", "action"} <= found:
            return index
    return None


def _known_columns(row: Sequence[Cell]) -> list[tuple[str, int]]:
    spelling = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
    return [
        (spelling[normalise_header(cell)], index)
        for index, cell in enumerate(row)
        if normalise_header(cell) in spelling
    ]


def map_columns(header: Sequence[Cell]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    for name, index in _known_columns(header):
        columns.setdefault(name, index)
    known = set(columns.values())
    ignored = [
        str(cell).strip()
        for index, cell in enumerate(header)
        if index not in known and normalise_header(cell) and normalise_header(cell) not in EXPORT_ONLY
    ]
    return columns, ignored


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
