"""A tracker's grid of cells to checked rows, with every problem by row and column, so the
officer can fix the whole file in one go.

The grid comes from ``sheets.files`` (openpyxl or a CSV reader); title rows above the header
are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from plan.errors import InputError
from plan.importing import SheetRow
from plan.parsing import parse_rag, parse_ref, priority_of_ref
from plan.rules import check_text
from sheets import cells
from sheets.cells import Cell, Parser, T, cell_text
from sheets.header import COLUMNS, REQUIRED, column_letter, find_header, map_columns


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Sheet:
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def read_sheet(grid: Sequence[Sequence[Cell]]) -> Sheet:
    """Find the header (title rows above it are skipped), then check every row below it."""
    sheet = Sheet()
    header_index = find_header(grid)
    if header_index is None:
        sheet.problems.append(
            RowProblem(0, "", "no header row found: it needs at least Ref, Action, Owner and Due date.")
        )
        return sheet
    columns, sheet.ignored_columns = map_columns(grid[header_index])
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


class _RowReader:
    """Checks one row at a time, remembering refs already seen to catch duplicates."""

    def __init__(self, columns: dict[str, int], header: Sequence[Cell]) -> None:
        self.columns = columns
        self.header = header
        self.seen_refs: dict[str, int] = {}

    def read(self, row_number: int, row: Sequence[Cell], sheet: Sheet) -> None:
        if all(cell_text(cell) == "" for cell in row):
            return
        problems: list[RowProblem] = []

        def field_(name: str, parse: Parser[T]) -> T | None:
            cell = self._cell(row, name)
            try:
                return parse(cell)
            except InputError as error:
                problems.append(RowProblem(row_number, self._label(name), str(error)))
                return None

        ref = field_("ref", cells.required(parse_ref, "the ref is missing."))
        if ref is not None and ref in self.seen_refs:
            problems.append(
                RowProblem(
                    row_number,
                    self._label("ref"),
                    f"ref {ref} is already on row {self.seen_refs[ref]}.",
                )
            )
        priority = field_("priority", cells.priority) if "priority" in self.columns else None
        if priority is None and ref is not None and "priority" not in self.columns:
            priority = priority_of_ref(ref)
        description = field_("action", cells.required(check_text, "the action's description is missing."))
        title = field_("priority_title", cells.free_text) if "priority_title" in self.columns else ""
        owner = field_("owner", cells.required(cells.person, "the owner is missing."))
        lead = field_("lead", cells.optional(cells.person)) if "lead" in self.columns else None
        due = field_("due", cells.date)
        rag = field_("rag", cells.optional(parse_rag)) if "rag" in self.columns else None
        note = field_("note", cells.note) if "note" in self.columns else ""
        if problems or ref is None or priority is None or description is None or owner is None or due is None:
            sheet.problems.extend(problems)
            if ref is not None:
                self.seen_refs.setdefault(ref, row_number)
            return
        self.seen_refs[ref] = row_number
        sheet.rows.append(
            SheetRow(
                row=row_number,
                ref=ref,
                priority=priority,
                priority_title=title or "",
                lead=lead,
                description=description,
                owner=owner,
                delegates=tuple(cells.person(d) for d in cells.split(self._cell(row, "delegates"))),
                recommendations=tuple(cells.split(self._cell(row, "recommendation"))),
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
        return f"{column_letter(index)} ({cell_text(self.header[index])})"


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
