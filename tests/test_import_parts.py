"""An .xlsx within the size limits can still ask openpyxl for gigabytes or hours: millions of
shared strings or styles, entities that expand, a number format built to be slow, a sheet listed
again and again, rows padded to column XFD. Each part is checked as openpyxl reads it, and such a
file is refused with the limit it passed; the limits are lowered here so that crossing them is
quick."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from plan.errors import InputError
from sheets import files
from sheets.files import read_grid

Edit = Callable[[bytes], bytes]
SST = "xl/sharedStrings.xml"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SST_RELATIONSHIP = f'<Relationship Id="rIdS" Type="{SST_REL}" Target="sharedStrings.xml"/>'


def workbook(path: Path, edits: dict[str, Edit], strings: bytes | None = None) -> Path:
    """A two-row tracker written by openpyxl, its parts edited; with ``strings``, a shared
    string table (openpyxl writes none) that the first cell uses."""
    book = Workbook()
    book.active.append(["Ref", "Action", "Owner", "Due date"])
    book.active.append(["1.1", "Act", "jo@council.example", "31/08/2017"])
    buffer = io.BytesIO()
    book.save(buffer)
    if strings is not None:
        edits = {
            **edits,
            "[Content_Types].xml": lambda xml: xml.replace(
                b"</Types>", f'<Override PartName="/{SST}" ContentType="{SST_TYPE}"/></Types>'.encode()
            ),
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>", f"{SST_RELATIONSHIP}</Relationships>".encode()
            ),
        }
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            edit = edits.get(info.filename)
            out.writestr(info.filename, edit(data) if edit else data)
        if strings is not None:
            out.writestr(SST, strings)
    return path


def shared_strings(count: int, doctype: bytes = b"") -> bytes:
    items = b"".join(b"<si><t>s%d</t></si>" % n for n in range(count))
    main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return doctype + b"<sst " + main + b">" + items + b"</sst>"


def refused(path: Path) -> str:
    with pytest.raises(InputError) as error:
        read_grid(path)
    return str(error.value)


def test_a_tracker_with_shared_strings_reads(tmp_path: Path) -> None:
    assert read_grid(workbook(tmp_path / "ok.xlsx", {}, shared_strings(3)))[1][0] == "1.1"


def test_too_many_shared_strings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_STRINGS", 100)
    path = workbook(tmp_path / "strings.xlsx", {}, shared_strings(101))
    assert "its shared string table holds more than 100 texts" in refused(path)


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    laugh = b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    path = workbook(tmp_path / "entities.xlsx", {}, shared_strings(1, laugh))
    assert "its part xl/sharedStrings.xml declares a DOCTYPE" in refused(path)


def test_a_part_read_whole_with_too_many_elements_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_ELEMENTS", 500)
    many = b'<cellStyleXfs count="600">' + b'<xf numFmtId="0"/>' * 600 + b"</cellStyleXfs>"
    path = workbook(
        tmp_path / "styles.xlsx",
        {"xl/styles.xml": lambda xml: xml.replace(b"<cellStyleXfs", many + b"<ignored", 1)},
    )
    assert "its part xl/styles.xml holds more than 500 XML elements" in refused(path)


def test_a_number_format_longer_than_excels_is_refused(tmp_path: Path) -> None:
    code = b"[" * 300
    fmt = b'<numFmts count="1"><numFmt numFmtId="164" formatCode="' + code + b'"/></numFmts>'
    path = workbook(
        tmp_path / "format.xlsx", {"xl/styles.xml": lambda xml: xml.replace(b'<numFmts count="0"/>', fmt)}
    )
    assert "is longer than 255 characters, Excel's own limit" in refused(path)


def test_a_sheet_listed_again_and_again_is_refused(tmp_path: Path) -> None:
    def listed_thrice(xml: bytes) -> bytes:
        start = xml.index(b"<sheet ")
        entry = xml[start : xml.index(b"/>", start) + 2]
        copies = [
            entry.replace(b'name="Sheet" sheetId="1"', f'name="S{n}" sheetId="{n + 2}"'.encode())
            for n in range(3)
        ]
        return xml.replace(entry, entry + b"".join(copies))

    path = workbook(tmp_path / "again.xlsx", {"xl/workbook.xml": listed_thrice})
    assert "more than once" in refused(path)


def test_rows_padded_to_the_last_column_are_refused_by_their_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_CELLS", 10_000)
    padded = b'<c r="XFD2"/></row>'  # an empty, formatted cell far right: openpyxl fills the gap

    def pad(xml: bytes) -> bytes:
        head, rest = xml.split(b"</row>", 1)
        return head + b"</row>" + rest.replace(b"</row>", padded, 1)

    path = workbook(tmp_path / "padded.xlsx", {"xl/worksheets/sheet1.xml": pad})
    assert "has more than 10,000 cells, counting the empty ones" in refused(path)
