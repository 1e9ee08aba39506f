"""Spreadsheet files in and out: .xlsx through openpyxl, .csv as Excel writes it."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from plan.errors import InputError
from reports.files import UK_DATE_FORMAT, write_atomically
from reports.inert import for_csv, text_cell
from sheets.cells import Cell
from sheets.header import HEADER_SEARCH_ROWS, column_letter

# What an import will read. A real plan has about 300 actions, and csip is measured with
# 100,000; a tracker beyond these is not a tracker, and reading it would let one file take the
# machine's memory or time. Each limit refused says which it is.
MAX_FILE_BYTES = 50 * 1024 * 1024
"""The file on disk (.xlsx or .csv): 100,000 full tracker rows are about 20 MB of CSV."""
MAX_ROWS = 100_000
"""Data rows: the largest plan csip is measured with (a council's has a few hundred)."""
MAX_GRID_ROWS = MAX_ROWS + HEADER_SEARCH_ROWS
"""Rows read from the top of the sheet: the data rows and the title and header rows above."""
MAX_COLUMNS = 100
"""A tracker has about a dozen columns; wider rows are refused, not read on and on."""
MAX_CELL_CHARS = 32_767
"""Excel's own limit on the text in one cell."""
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
"""An .xlsx is a zip: the sizes its parts unpack to, added up, checked before opening it.
A 100,000-row tracker unpacks to about 60 MB; a zip bomb unpacks to gigabytes."""
MAX_RATIO = 100
"""How much one part of an .xlsx may shrink in the zip (spreadsheet XML shrinks 5 to 20
times); checked for parts over ``_RATIO_FROM_BYTES``, where a bomb does its harm."""
_RATIO_FROM_BYTES = 1024 * 1024
MAX_PARTS = 10_000
"""Files inside an .xlsx (a tracker has a dozen or so)."""
_LINE_LIMIT = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
"""The longest CSV line the limits above allow (each cell quoted, with its comma)."""
_FIXED_DECIMALS = re.compile(r"^0(?:\.(0+))?$")


def read_grid(path: Path) -> list[list[Cell]]:
    """Every row of the first sheet (or the CSV) as cell values, within the limits above."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path} does not exist.")
    if suffix not in (".xlsx", ".csv"):
        raise InputError(f"{path.name}: csip reads .xlsx and .csv files.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path.name} is {_megabytes(size)}; csip reads trackers of at most {_megabytes(MAX_FILE_BYTES)}."
        )
    if suffix == ".xlsx":
        return _read_xlsx(path)
    return _read_csv(path)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"


def _too_many_rows(name: str) -> InputError:
    return InputError(
        f"{name} has more than {MAX_GRID_ROWS:,} rows; csip reads trackers of at most {MAX_ROWS:,} actions."
    )


def _too_wide(name: str, row: int) -> InputError:
    return InputError(
        f"{name}, row {row}: more than {MAX_COLUMNS} columns; a tracker has at most {MAX_COLUMNS}."
    )


def _too_long(name: str, row: int, column: int) -> InputError:
    return InputError(
        f"{name}, row {row}, column {column_letter(column)}: more than {MAX_CELL_CHARS:,} characters "
        f"in one cell, Excel's own limit."
    )


def _check_zip(path: Path) -> None:
    """Refuse an .xlsx that would unpack to too much, from the sizes its zip declares (zipfile
    never unpacks more than a part declares, so openpyxl cannot be given more than this)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(f"{path.name} is not a readable .xlsx file ({error}).") from None
    if len(parts) > MAX_PARTS:
        raise InputError(f"{path.name} holds {len(parts):,} parts; an .xlsx has at most {MAX_PARTS:,}.")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError(
            f"{path.name} unpacks to {_megabytes(unpacked)}; csip reads .xlsx files that unpack to at "
            f"most {_megabytes(MAX_UNPACKED_BYTES)}."
        )
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise InputError(
                f"{path.name}: its part {part.filename} unpacks {ratio:,} times larger; "
                f"csip reads parts that unpack at most {MAX_RATIO} times larger (a spreadsheet's "
                "unpack 5 to 20 times; more is a zip bomb)."
            )


def _read_xlsx(path: Path) -> list[list[Cell]]:
    _check_zip(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        raise InputError(f"{path.name} is not a readable .xlsx file ({error}).") from None
    try:
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()  # read the rows that are there, not the size the file claims
        grid: list[list[Cell]] = []
        try:
            for row in sheet.iter_rows():
                if len(grid) == MAX_GRID_ROWS:
                    raise _too_many_rows(path.name)
                grid.append(_xlsx_row(path.name, len(grid) + 1, row))
        except InputError:
            raise
        except Exception as error:  # a damaged sheet shows itself only while it is read
            raise InputError(f"{path.name} is not a readable .xlsx file ({error}).") from None
        return grid
    finally:
        book.close()


def _xlsx_row(name: str, number: int, row: Sequence[Any]) -> list[Cell]:
    if len(row) > MAX_COLUMNS:
        if any(getattr(cell, "value", None) is not None for cell in row[MAX_COLUMNS:]):
            raise _too_wide(name, number)
        row = row[:MAX_COLUMNS]  # formatted but empty cells further right
    values: list[Cell] = []
    for index, cell in enumerate(row):
        value = getattr(cell, "value", None)
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise _too_long(name, number, index)
        values.append(_as_shown(value, getattr(cell, "number_format", None)))
    return values


def _as_shown(value: Cell, number_format: str | None) -> Cell:
    """A fraction in a cell formatted with fixed decimals, as Excel shows it: a ref typed as
    5.10 in a `0.00` cell is kept by Excel as 5.1 but shown, and meant, as 5.10 (and 5.1 typed
    there shows as 5.10 too: the officer sees and checks what the cell shows). Whole numbers
    (a priority of 1 in a `0.0` cell) and other formats are left as they are: in General, 5.1
    shows as 5.1."""
    if not isinstance(value, float) or value.is_integer() or not number_format:
        return value
    match = _FIXED_DECIMALS.match(number_format)
    if match is None or not match.group(1):
        return value
    return f"{value:.{len(match.group(1))}f}"


def _read_csv(path: Path) -> list[list[Cell]]:
    grid: list[list[Cell]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:  # with or without a BOM
            for row in csv.reader(_lines(handle, path.name)):
                if len(grid) == MAX_GRID_ROWS:
                    raise _too_many_rows(path.name)
                number = len(grid) + 1
                if len(row) > MAX_COLUMNS:
                    if any(cell for cell in row[MAX_COLUMNS:]):
                        raise _too_wide(path.name, number)
                    row = row[:MAX_COLUMNS]
                for index, cell in enumerate(row):
                    if len(cell) > MAX_CELL_CHARS:
                        raise _too_long(path.name, number, index)
                grid.append(list(row))
    except UnicodeDecodeError:
        raise InputError(
            f"{path.name} is not UTF-8 text: in Excel, save it as 'CSV UTF-8 (Comma delimited)'."
        ) from None
    except csv.Error as error:  # a field past csv's own limit: an unclosed quote, say
        raise InputError(f"{path.name} is not a readable CSV file ({error}).") from None
    return grid


def _lines(handle: TextIO, name: str) -> Iterator[str]:
    """The file's lines, refusing one longer than any tracker row could be."""
    while line := handle.readline(_LINE_LIMIT):
        if len(line) == _LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise InputError(
                f"{name} has a line longer than {_LINE_LIMIT:,} characters; it is not a tracker."
            )
        yield line


def write_grid(path: Path, grid: Sequence[Sequence[Cell]]) -> None:
    """Write atomically: a failed export leaves no half-written file behind."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError(f"{path.name}: csip writes .xlsx and .csv files.")
    write_atomically(
        path, lambda temporary: (_write_xlsx if suffix == ".xlsx" else _write_csv)(temporary, grid)
    )


def _write_xlsx(path: Path, grid: Sequence[Sequence[Cell]]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Plan"
    for row in grid:  # text as strings, never formulas, and without characters a workbook refuses
        sheet.append([text_cell(sheet, cell) if isinstance(cell, str) else cell for cell in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date | dt.datetime):
                cell.number_format = UK_DATE_FORMAT
    sheet.freeze_panes = "A2"
    book.save(path)


def _write_csv(path: Path, grid: Sequence[Sequence[Cell]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in grid:
            writer.writerow([_csv_cell(cell) for cell in row])


def _csv_cell(cell: Cell) -> Cell:
    """A date the UK way; text that a spreadsheet would run as a formula quoted."""
    if isinstance(cell, dt.date):
        return f"{cell:%d/%m/%Y}"
    return for_csv(cell) if isinstance(cell, str) else cell
