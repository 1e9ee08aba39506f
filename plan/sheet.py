"""Read a plan tracker's rows, as a council keeps it in Excel, into checked plan rows.

The input is a grid of cell values (from openpyxl or a CSV reader); the output is either a
list of rows ready to import or every problem found, each with its spreadsheet row and column,
so the officer can fix the whole file in one go.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from plan.clock import london_date
from plan.errors import InputError
from plan.model import PlanView, Rag
from plan.parsing import parse_date, parse_rag, parse_ref, priority_of_ref
from plan.rules import NOTE_LIMIT, sort_by_ref

Cell = str | int | float | dt.date | dt.datetime | None
_T = TypeVar("_T")
_Parser = Callable[[Cell], _T]

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

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def normalise_header(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SheetRow:
    row: int
    ref: str
    priority: int
    priority_title: str
    lead: str | None
    description: str
    owner: str
    delegates: tuple[str, ...]
    recommendations: tuple[str, ...]
    due: dt.date
    rag: Rag | None
    note: str


@dataclass
class Sheet:
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def read_sheet(grid: Sequence[Sequence[Cell]]) -> Sheet:
    """Find the header (title rows above it are skipped), then check every row below it."""
    sheet = Sheet()
    header_index = _find_header(grid)
    if header_index is None:
        sheet.problems.append(
            RowProblem(0, "", "no header row found: it needs at least Ref, Action, Owner and Due date.")
        )
        return sheet
    columns, sheet.ignored_columns = _map_columns(grid[header_index])
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        names = ", ".join(COLUMNS[name][0] for name in missing)
        sheet.problems.append(RowProblem(header_index + 1, "", f"missing column(s): {names}."))
        return sheet
    reader = _RowReader(columns, grid[header_index])
    for index in range(header_index + 1, len(grid)):
        reader.read(index + 1, grid[index], sheet)
    _check_priorities_agree(sheet)
    return sheet


def _find_header(grid: Sequence[Sequence[Cell]]) -> int | None:
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


def _map_columns(header: Sequence[Cell]) -> tuple[dict[str, int], list[str]]:
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


class _RowReader:
    """Checks one row at a time, remembering refs already seen to catch duplicates."""

    def __init__(self, columns: dict[str, int], header: Sequence[Cell]) -> None:
        self.columns = columns
        self.header = header
        self.seen_refs: dict[str, int] = {}

    def read(self, row_number: int, row: Sequence[Cell], sheet: Sheet) -> None:
        if all(_text(cell) == "" for cell in row):
            return
        problems: list[RowProblem] = []

        def field_(name: str, parse: _Parser[_T]) -> _T | None:
            cell = self._cell(row, name)
            try:
                return parse(cell)
            except InputError as error:
                problems.append(RowProblem(row_number, self._label(name), str(error)))
                return None

        ref = field_("ref", _required(parse_ref, "the ref is missing."))
        if ref is not None and ref in self.seen_refs:
            problems.append(
                RowProblem(
                    row_number,
                    self._label("ref"),
                    f"ref {ref} is already on row {self.seen_refs[ref]}.",
                )
            )
        priority = field_("priority", _priority) if "priority" in self.columns else None
        if priority is None and ref is not None and "priority" not in self.columns:
            priority = priority_of_ref(ref)
        description = field_("action", _required(str, "the action's description is missing."))
        owner = field_("owner", _required(_person, "the owner is missing."))
        lead = field_("lead", _optional(_person)) if "lead" in self.columns else None
        due = field_("due", _date)
        rag = field_("rag", _optional(parse_rag)) if "rag" in self.columns else None
        note = field_("note", _note) if "note" in self.columns else ""
        if problems or None in (ref, priority, description, owner, due):
            sheet.problems.extend(problems)
            if ref is not None:
                self.seen_refs.setdefault(ref, row_number)
            return
        assert ref and priority is not None and description and owner and due
        self.seen_refs[ref] = row_number
        sheet.rows.append(
            SheetRow(
                row=row_number,
                ref=ref,
                priority=priority,
                priority_title=_text(self._cell(row, "priority_title")),
                lead=lead,
                description=description,
                owner=owner,
                delegates=tuple(_person(d) for d in _split(self._cell(row, "delegates"))),
                recommendations=tuple(_split(self._cell(row, "recommendation"))),
                due=due,
                rag=rag,
                note=note or "",
            )
        )

    def _cell(self, row: Sequence[Cell], name: str) -> Cell:
        index = self.columns.get(name)
        return row[index] if index is not None and index < len(row) else None

    def _label(self, name: str) -> str:
        """A column as the officer sees it: its letter and its own header, e.g. `H (Due date)`."""
        index = self.columns[name]
        return f"{column_letter(index)} ({_text(self.header[index])})"


def _check_priorities_agree(sheet: Sheet) -> None:
    """A priority has one title and one lead; rows that disagree are reported."""
    first: dict[int, SheetRow] = {}
    for row in sheet.rows:
        earlier = first.setdefault(row.priority, row)
        for name, mine, theirs in (
            ("Priority title", row.priority_title, earlier.priority_title),
            ("Lead", row.lead, earlier.lead),
        ):
            if mine and theirs and mine != theirs:
                sheet.problems.append(
                    RowProblem(
                        row.row,
                        name,
                        f"priority {row.priority} has '{theirs}' on row {earlier.row} but '{mine}' here.",
                    )
                )


# --- cell parsers -------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _required(parse: Callable[[str], _T], message: str) -> _Parser[_T]:
    def parse_cell(cell: Cell) -> _T:
        text = _text(cell)
        if not text:
            raise InputError(message)
        return parse(text)

    return parse_cell


def _optional(parse: Callable[[str], _T]) -> _Parser[_T | None]:
    def parse_cell(cell: Cell) -> _T | None:
        text = _text(cell)
        return parse(text) if text else None

    return parse_cell


def _priority(cell: Cell) -> int:
    text = _text(cell)
    match = re.match(r"^(?:priority\s*)?(\d+)$", text, re.IGNORECASE)
    if not match:
        raise InputError(f"'{text}' is not a priority number." if text else "the priority is missing.")
    return int(match.group(1))


def _person(text: str) -> str:
    """An owner or lead: an e-mail address (kept lower case) or a Slack user id."""
    text = text.strip()
    if _EMAIL.match(text):
        return text.lower()
    if _SLACK_ID.match(text):
        return text
    raise InputError(f"'{text}' is neither an e-mail address nor a Slack user id (U…).")


def _date(cell: Cell) -> dt.date:
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time(0, 0):
            raise InputError(f"'{cell}' has a time of day; a due date is a plain date.")
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, int | float):
        raise InputError(
            f"'{_text(cell)}' is a number, not a date (Excel shows dates as numbers when the cell "
            "is not formatted as a date): format the cell as a date."
        )
    if not _text(cell):
        raise InputError("the due date is missing.")
    return parse_date(_text(cell))


def _note(cell: Cell) -> str:
    text = _text(cell)
    if len(text) > NOTE_LIMIT:
        raise InputError(f"the note is {len(text):,} characters; the limit is {NOTE_LIMIT:,}.")
    return text


def _split(cell: Cell) -> list[str]:
    return [part for part in re.split(r"[,;\s]+", _text(cell)) if part]


EXPORT_HEADER = (
    "Ref", "Priority", "Priority title", "Lead", "Recommendation", "Action", "Owner",
    "Delegates", "Due date", "Original due date", "RAG", "Last update", "Note",
)  # fmt: skip


def export_grid(view: PlanView) -> list[list[Cell]]:
    """The plan as a tracker, in plan order; importing it again changes nothing."""

    def key(person_id: int | None) -> str:
        person = view.person(person_id)
        return person.key if person else ""

    grid: list[list[Cell]] = [list(EXPORT_HEADER)]
    for action in sort_by_ref(view.actions.values()):
        priority = view.priorities.get(action.priority)
        grid.append([
            action.ref,
            action.priority,
            priority.title if priority else "",
            key(priority.lead_id) if priority else "",
            ", ".join(action.record.recommendations),
            action.record.description,
            key(action.owner_id),
            ", ".join(sorted(key(d) for d in action.record.delegate_ids)),
            action.due_date,
            action.original_due_date,
            action.rag.label if action.rag else "",
            london_date(action.last_update_at) if action.last_update_at else None,
            action.rag_note or "",
        ])  # fmt: skip
    return grid
