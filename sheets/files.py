"""Spreadsheet files in and out: .xlsx through openpyxl, .csv as Excel writes it."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO
from xml.parsers import expat

from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
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
MAX_CELLS = MAX_GRID_ROWS * MAX_COLUMNS
"""Cells openpyxl hands over, counting the empty ones it fills in up to each row's last cell:
one formatted cell at column XFD makes a row of 16,384."""
MAX_STRINGS = 1_000_000
"""Entries in the shared string table, read whole when the workbook opens: a 100,000-row
tracker has about 160,000 (one for each different text); each takes some 170 bytes
and 8 microseconds."""
MAX_ELEMENTS = 250_000
"""XML elements in one part outside its rows and strings: styles, names, merged cells, links.
openpyxl makes an object of each; a tracker's parts have hundreds, Excel's 64,000 cell formats
a few hundred thousand."""
MAX_OPEN_ELEMENTS = 500_000
"""The same, added up over every part openpyxl reads (one read again counts again)."""
MAX_WHOLE_BYTES = 32 * 1024 * 1024
"""A part openpyxl reads whole into a tree (all but the sheets and the shared strings): a
tracker's largest, its styles, is kilobytes; Excel's 64,000 cell formats, about 10 MB."""
MAX_GROUP_ELEMENTS = 100_000
"""XML elements in one row or one shared string (16,384 cells, each with its value)."""
MAX_FORMAT_CHARS = 255
"""A number format's code (Excel's own limit): openpyxl tests each with a regular expression
whose time grows with the square of the length."""
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


class _Scan:
    """Counts one part's XML elements as openpyxl is given its bytes, and refuses the part (an
    ``InputError``) before openpyxl parses past a limit. A part read whole (``streamed`` false)
    counts every element; one read a piece at a time (a worksheet, the shared strings) counts
    its rows and strings one by one, as openpyxl keeps them."""

    def __init__(self, guard: _Guard, part: str, streamed: bool) -> None:
        self.guard, self.part, self.streamed = guard, part, streamed
        self.loose = self.strings = self.group = self.depth = 0
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._doctype

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as error:
            self.guard.refuse(f"its part {self.part} is not readable XML ({error})")

    def _doctype(self, *_: Any) -> None:  # entities: expanded by the parser openpyxl streams with
        self.guard.refuse(f"its part {self.part} declares a DOCTYPE, which spreadsheets do not")

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if self.depth:
            self.depth += 1
            self.group += 1
            if self.group > MAX_GROUP_ELEMENTS:
                self.guard.refuse(
                    f"a row or string in its part {self.part} holds more than {MAX_GROUP_ELEMENTS:,} elements"
                )
            return
        local = name[name.rfind(":") + 1 :]
        if self.streamed and local in ("row", "si"):
            self.depth, self.group = 1, 1
            if local == "si":
                self.strings += 1
                if self.strings > MAX_STRINGS:
                    self.guard.refuse(f"its shared string table holds more than {MAX_STRINGS:,} texts")
            return
        self.loose += 1
        if self.loose > MAX_ELEMENTS:
            self.guard.refuse(f"its part {self.part} holds more than {MAX_ELEMENTS:,} XML elements")
        self.guard.count(1)
        if len(attributes.get("formatCode", "")) > MAX_FORMAT_CHARS:
            self.guard.refuse(
                f"a number format in its part {self.part} is longer than "
                f"{MAX_FORMAT_CHARS} characters, Excel's own limit"
            )

    def _end(self, _name: str) -> None:
        if self.depth:
            self.depth -= 1


_IMAGES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x01\x00\x00\x00",
    b"\xd7\xcd\xc6\x9a",
)
"""How the images openpyxl reads (a chartsheet's pictures) begin; no XML begins so."""


class _Stream:
    """A part openpyxl opened: read in pieces (a worksheet, the shared strings) or whole."""

    def __init__(self, source: IO[bytes], guard: _Guard, part: str) -> None:
        self.source, self.guard, self.part = source, guard, part
        self.scan: _Scan | None = None
        self.ended = False

    def read(self, size: int = -1) -> bytes:
        if self.ended:
            return self.source.read(size)
        if size is None or size < 0:  # the rest at once: openpyxl parses it whole
            return self._whole()
        data = self._chunk(size)
        if self.ended:  # a picture
            return data
        if self.scan is None:
            self.scan = _Scan(self.guard, self.part, streamed=True)
        self.ended = not data
        self.scan.feed(data, final=self.ended)
        return data

    def _chunk(self, size: int) -> bytes:
        data = self.source.read(size)
        if self.scan is None:
            if self.guard.opens[self.part] > 2:  # a sheet is opened twice: sized, then read
                self.guard.refuse(f"it lists its part {self.part} more than once")
            self.ended = data.startswith(_IMAGES)  # a picture, not XML: not parsed
        return data

    def _whole(self) -> bytes:
        pieces = [self._chunk(1024 * 1024)]
        if self.ended:  # a picture
            return pieces[0] + self.source.read()
        self.scan = scan = _Scan(self.guard, self.part, streamed=False)
        scan.feed(pieces[0])
        read = len(pieces[0])
        while data := self._chunk(1024 * 1024):
            read += len(data)
            if read > MAX_WHOLE_BYTES:
                self.guard.refuse(
                    f"its part {self.part}, which openpyxl reads whole, is larger than "
                    f"{_megabytes(MAX_WHOLE_BYTES)}"
                )
            scan.feed(data)
            pieces.append(data)
        scan.feed(b"", final=True)
        self.ended = True
        return b"".join(pieces)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Guard(zipfile.ZipFile):
    """The .xlsx as openpyxl reads it, every part checked as it is read (ZipFile.read reads
    through ``open``), and the elements of all it reads whole added up."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.refusal: InputError | None = None
        self.elements = 0
        self.opens: dict[str, int] = {}

    def open(self, name: Any, mode: Any = "r", pwd: bytes | None = None, **kwargs: Any) -> Any:
        source = super().open(name, mode, pwd, **kwargs)
        part = name.filename if isinstance(name, zipfile.ZipInfo) else name
        self.opens[part] = self.opens.get(part, 0) + 1
        return _Stream(source, self, part) if mode == "r" else source

    def count(self, elements: int) -> None:
        self.elements += elements
        if self.elements > MAX_OPEN_ELEMENTS:
            self.refuse(
                f"its parts hold more than {MAX_OPEN_ELEMENTS:,} XML elements outside "
                "its rows and strings (read again, a part counts again)"
            )

    def refuse(self, why: str) -> None:
        name = Path(str(self.filename)).name
        self.refusal = InputError(f"{name}: {why}; it is not a tracker csip can read.")
        raise self.refusal


def _read_xlsx(path: Path) -> list[list[Cell]]:
    _check_zip(path)
    reader = None
    try:
        reader = ExcelReader(path, read_only=True, data_only=True, keep_links=False)
        reader.archive.close()
        reader.archive = _Guard(path)
        reader.read()
        book = reader.wb
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        if reader is not None and isinstance(reader.archive, _Guard):
            reader.archive.close()
            if reader.archive.refusal:
                raise reader.archive.refusal from None
        raise InputError(f"{path.name} is not a readable .xlsx file ({error}).") from None
    guard = reader.archive
    try:
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()  # read the rows that are there, not the size the file claims
        grid: list[list[Cell]] = []
        cells = 0
        try:
            for row in sheet.iter_rows():
                if len(grid) == MAX_GRID_ROWS:
                    raise _too_many_rows(path.name)
                cells += len(row)
                if cells > MAX_CELLS:
                    raise InputError(
                        f"{path.name} has more than {MAX_CELLS:,} cells, counting the empty ones up to "
                        "each row's last formatted cell; clear the formatting right of the tracker."
                    )
                grid.append(_xlsx_row(path.name, len(grid) + 1, row))
        except InputError:
            raise
        except Exception as error:  # a damaged sheet shows itself only while it is read
            if guard.refusal:
                raise guard.refusal from None
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
