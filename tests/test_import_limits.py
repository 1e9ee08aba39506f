"""Imports within limits: a hostile or runaway file is refused quickly, in little memory, with
a message naming the limit, and nothing is imported; a large plan is written in batches that
stay under both databases' bound-parameter limits."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, event

from csip.cli import main
from plan.clock import utc_now
from plan.errors import InputError
from plan.service import import_sheet
from sheets import files
from sheets.files import read_grid
from sheets.header import HEADER_SEARCH_ROWS
from sheets.rows import read_sheet
from storage.store import store_factory
from tests.test_import_export import counts, rows_in_every_table

SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["Ref", "Action", "Owner", "Due date"]
MEMORY_BYTES = 20 * 1024 * 1024  # what refusing any of these files may take


@pytest.fixture
def csip(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    return lambda *args: main([str(arg) for arg in args])


def tracker(path: Path, edit: Callable[[bytes], bytes] = lambda xml: xml) -> Path:
    """A small valid tracker whose sheet XML is then edited."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["1.1", "Act", "jo@council.example", "31/08/2017"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            out.writestr(info.filename, edit(data) if info.filename == SHEET else data)
    return path


def claims_the_whole_sheet(xml: bytes) -> bytes:
    """Declares every cell Excel has, and holds one on the very last row."""
    last = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    xml = xml.replace(b'<dimension ref="A1:D2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert b"A1:XFD1048576" in xml
    return xml.replace(b"</sheetData>", last + b"</sheetData>")


def bomb(path: Path, unpacked: int) -> Path:
    """A tracker whose sheet is padded with ``unpacked`` bytes of blanks, written a megabyte at
    a time: a few hundred kilobytes on disk."""
    xml = tracker(path.with_suffix(".plain.xlsx")).read_bytes()
    with zipfile.ZipFile(io.BytesIO(xml)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != SHEET:
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"<sheetData>")
            with out.open(SHEET, "w", force_zip64=True) as part:
                part.write(head + b"<sheetData>")
                blank = b" " * (1024 * 1024)
                for _ in range(unpacked // len(blank)):
                    part.write(blank)
                part.write(tail)
    return path


def small_limit(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    """A row limit small enough to cross quickly while memory is traced."""
    monkeypatch.setattr(files, "MAX_ROWS", rows)
    monkeypatch.setattr(files, "MAX_GRID_ROWS", rows + HEADER_SEARCH_ROWS)


def refusal(path: Path) -> tuple[str, float, int]:
    """The message refusing ``path``, the seconds and the peak bytes it took."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputError) as refused:
            read_grid(path)
        return str(refused.value), time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def csv_rows(path: Path, lines: Iterator[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)
    return path


def tracker_lines(rows: int) -> Iterator[str]:
    yield ",".join(HEADER) + "\r\n"
    for index in range(rows):
        yield f"{index // 1000 + 1}.{index % 1000 + 1},Act,jo@council.example,31/08/2017\r\n"


def test_a_sheet_claiming_every_cell_is_read_as_the_rows_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tracker(tmp_path / "small.xlsx", lambda xml: xml.replace(b"A1:D2", b"A1:XFD1048576"))
    assert read_grid(small) == [HEADER, ["1.1", "Act", "jo@council.example", "31/08/2017"]]

    huge = tracker(tmp_path / "huge.xlsx", claims_the_whole_sheet)
    with pytest.raises(
        InputError,
        match=r"^huge\.xlsx has more than 100,030 rows; csip reads trackers of at most 100,000 actions",
    ):
        read_grid(huge)
    small_limit(monkeypatch, 1_000)
    message, seconds, peak = refusal(huge)
    assert message == "huge.xlsx has more than 1,030 rows; csip reads trackers of at most 1,000 actions."
    assert peak < MEMORY_BYTES and seconds < 1


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert files.MAX_UNPACKED_BYTES == 200 * 2**20
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 16 * 2**20)  # quicker to build past
    message, seconds, peak = refusal(bomb(tmp_path / "bomb.xlsx", 17 * 2**20))
    assert message.startswith(
        "bomb.xlsx unpacks to 17.0 MB; csip reads .xlsx files that unpack to at most 16.0 MB"
    )
    assert peak < MEMORY_BYTES and seconds < 1
    message, _, _ = refusal(bomb(tmp_path / "dense.xlsx", 8 * 2**20))
    assert message.startswith(f"dense.xlsx: its part {SHEET} unpacks ")
    assert f"at most {files.MAX_RATIO} times larger" in message


def test_too_many_rows_are_refused_without_reading_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    over = csv_rows(tmp_path / "over.csv", tracker_lines(files.MAX_GRID_ROWS))  # and the header
    with pytest.raises(
        InputError,
        match=r"^over\.csv has more than 100,030 rows; csip reads trackers of at most 100,000 actions\.$",
    ):
        read_grid(over)

    small_limit(monkeypatch, 1_000)
    at_limit = csv_rows(tmp_path / "full.csv", tracker_lines(1_000))
    assert len(read_sheet(read_grid(at_limit)).rows) == 1_000
    message, seconds, peak = refusal(csv_rows(tmp_path / "more.csv", tracker_lines(300_000)))
    assert message == "more.csv has more than 1,030 rows; csip reads trackers of at most 1,000 actions."
    assert peak < MEMORY_BYTES and seconds < 1  # the rows up to the limit, then no further


def test_wide_rows_long_cells_long_lines_and_large_files_are_refused(tmp_path: Path) -> None:
    wide = csv_rows(tmp_path / "wide.csv", iter([",".join(HEADER) + "\r\n", ",".join(["x"] * 101) + "\r\n"]))
    assert refusal(wide)[0] == "wide.csv, row 2: more than 100 columns; a tracker has at most 100."
    blank_right = csv_rows(tmp_path / "blank.csv", iter([",".join(HEADER) + "," * 200 + "\r\n"]))
    assert read_grid(blank_right) == [HEADER + [""] * 96]  # empty cells to the right: cut

    long = csv_rows(tmp_path / "long.csv", iter([",".join(HEADER) + "\r\n", "1.1," + "x" * 32_768 + "\r\n"]))
    assert refusal(long)[0] == (
        "long.csv, row 2, column B: more than 32,767 characters in one cell, Excel's own limit."
    )
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["1.1", "x" * 32_768])
    book.save(tmp_path / "long.xlsx")
    assert len(str(read_grid(tmp_path / "long.xlsx")[1][1])) == 32_767  # openpyxl cuts it to Excel's limit

    line = csv_rows(tmp_path / "line.csv", iter(["x" * (files.MAX_COLUMNS * (files.MAX_CELL_CHARS + 3) + 1)]))
    message, _, peak = refusal(line)
    assert message == "line.csv has a line longer than 3,277,000 characters; it is not a tracker."
    assert peak < MEMORY_BYTES

    large = tmp_path / "large.csv"
    with large.open("wb") as handle:
        handle.truncate(files.MAX_FILE_BYTES + 1)  # sparse: nothing is written
    assert refusal(large)[0] == "large.csv is 50.0 MB; csip reads trackers of at most 50.0 MB."


def test_a_refused_file_imports_nothing(
    csip: Any,
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = rows_in_every_table(engine)
    small_limit(monkeypatch, 100)
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 2**20)
    over = csv_rows(tmp_path / "over.csv", tracker_lines(200))
    assert csip("import", over) == 2
    assert "more than 130 rows" in capsys.readouterr().err
    assert csip("import", tracker(tmp_path / "huge.xlsx", claims_the_whole_sheet)) == 2
    assert "more than 130 rows" in capsys.readouterr().err
    assert csip("import", bomb(tmp_path / "bomb.xlsx", 2 * 2**20)) == 2
    assert "unpacks to 2.0 MB" in capsys.readouterr().err
    assert rows_in_every_table(engine) == before


def test_numeric_refs_read_as_excel_shows_them(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    cases = ((5.10, "0.00"), (5.2, "General"), (5.3, "0.0"), (6, "0.00"), (7.0, "0.0"), (8.25, "0"))
    for ref, number_format in cases:
        sheet.append([ref, "Act", "jo@council.example", dt.date(2017, 8, 31)])
        sheet.cell(sheet.max_row, 1).number_format = number_format
    sheet.append([5.1, "Act", "jo@council.example", dt.date(2017, 8, 31)])  # General: as typed
    book.save(tmp_path / "refs.xlsx")
    read = read_sheet(read_grid(tmp_path / "refs.xlsx"))
    assert not read.problems
    assert [row.ref for row in read.rows] == ["5.10", "5.2", "5.3", "6", "7", "8.25", "5.1"]


def statement_sizes(engine: Engine) -> tuple[list[tuple[str, int]], Callable[[], None]]:
    """Every statement sent from now on with its bound parameters (an executemany's of one row:
    each row is its own execution; a multi-row INSERT counts all its values)."""
    sizes: list[tuple[str, int]] = []

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        rows = many and isinstance(parameters, list) and isinstance(parameters[0], tuple | list | dict)
        sizes.append((statement, max(len(one) for one in parameters) if rows else len(parameters)))

    event.listen(engine, "before_cursor_execute", count)
    return sizes, lambda: event.remove(engine, "before_cursor_execute", count)


def import_rows(engine: Engine, tmp_path: Path, rows: int, chunk: int) -> None:
    lines = (line.replace("\r\n", ",ann@council.example\r\n") for line in tracker_lines(rows))
    grid = read_grid(csv_rows(tmp_path / "plan.csv", lines))
    grid[0][-1] = "Delegates"
    sheet = read_sheet(grid)
    assert not sheet.problems and len(sheet.rows) == rows
    with store_factory(engine, chunk)() as store:
        import_sheet(store, "default", sheet.rows, now=utc_now())


def test_a_large_import_is_written_in_batches(engine: Engine, tmp_path: Path) -> None:
    sizes, stop = statement_sizes(engine)
    try:
        import_rows(engine, tmp_path, 1_200, chunk=100)
    finally:
        stop()
    assert counts(engine) == (1_200, 1_200)
    # Per statement, under SQLite's 32,766 and PostgreSQL's 65,535 at any size: the import's
    # own writes go 100 rows or ids at a time; SQLAlchemy's and the states' are bounded too.
    assert max(size for _, size in sizes) <= 20_000
    ours = [
        size for statement, size in sizes if "action_delegates" in statement or "action_events (" in statement
    ]
    assert len(ours) >= 3 * 1_200 // 100 and max(ours) <= 100 * 11


@pytest.mark.skipif(not os.environ.get("CSIP_SLOW_TESTS"), reason="slow: set CSIP_SLOW_TESTS=1")
def test_an_import_past_postgresqls_parameter_limit(engine: Engine, tmp_path: Path) -> None:
    import_rows(engine, tmp_path, 70_000, chunk=1_000)
    assert counts(engine) == (70_000, 70_000)
