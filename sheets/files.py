"""Spreadsheet files in and out: .xlsx through openpyxl, .csv as Excel writes it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook

from plan.errors import InputError
from reports.files import UK_DATE_FORMAT, write_atomically
from reports.inert import for_csv, text_cell
from sheets.cells import Cell


def read_grid(path: Path) -> list[list[Cell]]:
    """Every row of the first sheet (or the CSV) as cell values."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path} does not exist.")
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise InputError(f"{path.name}: csip reads .xlsx and .csv files.")


def _read_xlsx(path: Path) -> list[list[Cell]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        raise InputError(f"{path.name} is not a readable .xlsx file ({error}).") from None
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_csv(path: Path) -> list[list[Cell]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # with or without a BOM
    except UnicodeDecodeError:
        raise InputError(
            f"{path.name} is not UTF-8 text: in Excel, save it as 'CSV UTF-8 (Comma delimited)'."
        ) from None
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]


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
