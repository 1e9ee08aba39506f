"""Text from users that a spreadsheet would run as a formula, or that no workbook can hold:
exports, reports and the audit show it as text, imports give it back unchanged, and control
characters are refused where they are typed or imported."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine

from csip.cli import main
from plan.clock import utc_now
from plan.model import Event, EventKind, Rag, Source
from plan.ports import StoreFactory
from plan.rules import NoteProblem
from plan.service import existing_plan, update_rag
from plan.service import import_sheet as import_rows
from reports import inert
from sheets.rows import read_sheet
from storage.store import store_factory
from tests.conftest import ALICE
from tests.memory_store import memory_store_factory
from tests.signed import SlackHttp
from tests.test_service_rules import ALICE as ALICE_EMAIL
from tests.test_service_rules import GRID, NOW, TEAM, change, event_count

HOSTILE = ['=HYPERLINK("http://evil.example","Click")', "+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def csip(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    return lambda *args: main([str(arg) for arg in args])


@pytest.fixture
def hostile(csip: Any, tmp_path: Path) -> Path:
    """A tracker whose descriptions and notes each start like a formula, imported."""
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ref", "Priority", "Action", "Owner", "Due date", "RAG", "Note"])
        for n, text in enumerate(HOSTILE, 1):
            writer.writerow([f"1.{n}", 1, text, "jo@council.example", "31/08/2017", "Amber", text])
    assert csip("import", path) == 0
    return path


def test_xlsx_export_holds_text_not_formulas(csip: Any, hostile: Path, tmp_path: Path) -> None:
    assert csip("export", tmp_path / "out.xlsx") == 0
    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [cell.value for cell in sheet[1]]
    for column in ("Action", "Note"):
        cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]
        assert [cell.data_type for cell in cells] == ["s"] * len(HOSTILE)
        assert [cell.value for cell in cells] == HOSTILE  # shown as typed


def test_csv_export_quotes_what_looks_like_a_formula(csip: Any, hostile: Path, tmp_path: Path) -> None:
    assert csip("export", tmp_path / "out.csv") == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    for column in ("Action", "Note"):
        cells = [row[rows[0].index(column)] for row in rows[1:]]
        assert all(cell.startswith("'") for cell in cells), cells
        assert cells == ["'" + text for text in HOSTILE]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_hostile_text_survives_export_then_import(
    csip: Any, engine: Engine, hostile: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / f"out{suffix}"
    assert csip("export", exported) == 0
    capsys.readouterr()
    assert csip("import", exported) == 0
    assert f"unchanged: {len(HOSTILE)}" in capsys.readouterr().out
    with store_factory(engine)() as store:
        view = store.load(existing_plan(store, "default"))
    assert [view.actions[f"1.{n}"].rag_note for n in range(1, len(HOSTILE) + 1)] == HOSTILE
    assert [view.actions[f"1.{n}"].record.description for n in range(1, len(HOSTILE) + 1)] == HOSTILE


def test_report_workbook_holds_text_not_formulas(csip: Any, hostile: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    assert csip("report", "--format", "xlsx", "--output", path) == 0
    rows = list(load_workbook(path)["Priority 1"].iter_rows(min_row=2))
    for cells in ([row[1] for row in rows], [row[5] for row in rows]):  # Action, Latest note
        assert [cell.data_type for cell in cells] == ["s"] * len(HOSTILE)
        assert [cell.value for cell in cells] == HOSTILE


def test_audit_csv_quotes_what_looks_like_a_formula(csip: Any, hostile: Path, tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    assert csip("audit", "--output", path) == 0
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    reasons = [row[6] for row in rows[1:] if row[3] == "RAG"]
    assert reasons == ["'" + text for text in HOSTILE]


def test_a_stored_control_character_cannot_break_an_export_or_report(
    csip: Any, engine: Engine, hostile: Path, tmp_path: Path
) -> None:
    """Stored before notes were checked: every file still writes, without the character."""
    with store_factory(engine)() as store:
        plan_id = existing_plan(store, "default")
        action_id = store.load(plan_id).actions["1.2"].record.id
        now = utc_now()
        event = Event(action_id, EventKind.RAG, now, now, Source.SLACK, rag=Rag.RED, note="Late\x0bagain")
        store.add_events(plan_id, [event])
        store.commit()
    for name, args in (("out.xlsx", ["export"]), ("out.csv", ["export"]),
                       ("report.xlsx", ["report", "--format", "xlsx", "--output"]),
                       ("report.docx", ["report", "--format", "docx", "--output"])):  # fmt: skip
        assert csip(*args, tmp_path / name) == 0, name
    sheet = load_workbook(tmp_path / "out.xlsx").active
    assert sheet.cell(3, 13).value == "Lateagain"
    reds = Document(str(tmp_path / "report.docx")).tables[1]
    assert reds.rows[1].cells[5].text == "Lateagain"


@pytest.fixture
def memory() -> StoreFactory:
    """The service rules' plan, in memory: Alice owns 5.1."""
    open_store = memory_store_factory()
    with open_store() as store:
        import_rows(store, TEAM, read_sheet(GRID).rows, now=NOW)
    return open_store


@pytest.mark.parametrize("note", ["Contract\x0bsigned", "Contract\x00signed", "Late\x1b[31m"])
def test_control_characters_in_a_slack_note_are_refused(memory: StoreFactory, note: str) -> None:
    before = event_count(memory)
    with memory() as store, pytest.raises(NoteProblem, match="control character"):
        update_rag(store, change(memory, ALICE_EMAIL, "5.1"), Rag.AMBER, note)
    with memory() as store, pytest.raises(NoteProblem, match="control character"):
        update_rag(store, change(memory, "admin", "5.1"), Rag.RED, note)
    assert event_count(memory) == before


def test_a_carriage_return_is_a_line_break(memory: StoreFactory) -> None:
    with memory() as store:
        view = update_rag(store, change(memory, ALICE_EMAIL, "5.1"), Rag.AMBER, "One\r\nTwo\rThree\tfour")
    assert view.actions["5.1"].rag_note == "One\nTwo\nThree\tfour"


@pytest.mark.parametrize("note", ["Contract\x0bsigned", "Contract\x00signed"])
def test_slack_update_with_a_control_character_is_refused(
    http: SlackHttp, small_plan: StoreFactory, note: str
) -> None:
    """Through the command parser; NUL would otherwise fail in PostgreSQL itself."""
    reply = http.reply_to(ALICE, f"update 5.3 amber {note}")
    assert "control character" in str(reply["blocks"])
    with small_plan() as store:
        assert store.load(existing_plan(store, "default")).actions["5.3"].rag_note != note


@pytest.mark.parametrize("bad", ["Late\x0bagain", "Late\x00again"])
def test_control_characters_in_imported_cells_are_row_problems(bad: str) -> None:
    grid = [list(row) for row in GRID]
    grid[2][4] = bad  # 5.1's action
    grid[3][9] = bad  # 5.2's note
    grid[4][2] = bad  # priority 5's title
    problems = [str(problem) for problem in read_sheet(grid).problems]
    assert problems == [
        "row 3, column E (Action): the text has a control character (U+" + f"{ord(bad[4]):04X}" + ") at "
        "character 5, often pasted from Word: delete it and type the text again.",
        "row 4, column J (Note): the text has a control character (U+" + f"{ord(bad[4]):04X}" + ") at "
        "character 5, often pasted from Word: delete it and type the text again.",
        "row 5, column C (Priority title): the text has a control character (U+" + f"{ord(bad[4]):04X}" + ") "
        "at character 5, often pasted from Word: delete it and type the text again.",
    ]


def test_the_characters_a_workbook_cannot_hold_are_openpyxls_own() -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as openpyxls

    assert inert.ILLEGAL_CHARACTERS_RE.pattern == openpyxls.pattern
