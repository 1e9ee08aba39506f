"""`csip import` and `csip export` on real .xlsx files and Excel-style CSVs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select

from csip.cli import main
from plan.clock import end_of_day
from plan.figures import plan_figures
from plan.model import Rag
from plan.service import existing_plan
from storage.store import store_factory
from storage.tables import ActionRow, Base, EventRow
from tests.conftest import Seed, run_csip

EXAMPLE = Path(__file__).parent.parent / "examples" / "plan.xlsx"
HEADER = ["Ref", "Priority", "Priority Title", "Lead", "Recommendation", "Action", "Owner",
          "Due date", "R.A.G.", "Note", "Comments (internal)"]  # fmt: skip


@pytest.fixture
def csip(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the `csip` command against the test database; returns the exit code."""
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    return lambda *args: main([str(arg) for arg in args])


def write_xlsx(path: Path, rows: list[list[Any]], title: bool = True) -> Path:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append(["Anyborough CSIP tracker"])
        sheet.merge_cells("A1:K1")
        sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def row(ref: str, owner: str = "jo@council.example", due: Any = dt.date(2017, 8, 31),
        rag: Any = "Amber", note: str = "At risk") -> list[Any]:  # fmt: skip
    priority = int(ref.split(".")[0])
    return [ref, priority, f"Priority {priority}", "lead@council.example", "4", f"Action {ref}",
            owner, due, rag, note, "internal"]  # fmt: skip


def rows_in_every_table(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        actions = connection.scalar(select(func.count()).select_from(ActionRow))
        events = connection.scalar(select(func.count()).select_from(EventRow))
    return actions or 0, events or 0


def load(engine: Engine, as_at: dt.date | None = None) -> Any:
    with store_factory(engine)() as store:
        return store.load(existing_plan(store, "default"), as_at=end_of_day(as_at) if as_at else None)


def test_xlsx_with_title_rows_excel_dates_and_rag_spellings(
    csip: Any, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [row("1.1", rag="Red"), row("1.2", rag="R"), row("1.3", rag="red "),
            row("2.1", rag="AMBER"), row("2.2", rag="G", note=""), row("2.3", rag="Complete"),
            row("3.1", rag="Blue", due=dt.datetime(2017, 9, 30)), row("3.2", rag="", note="")]  # fmt: skip
    assert csip("import", write_xlsx(tmp_path / "plan.xlsx", rows)) == 0
    out = capsys.readouterr().out
    assert "ignored column: Comments (internal)" in out
    assert "new actions: 8" in out
    view = load(engine)
    assert [view.actions[r].rag for r in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2")] == [
        Rag.RED, Rag.RED, Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE, Rag.COMPLETE, None,
    ]  # fmt: skip
    assert view.actions["3.1"].due_date == dt.date(2017, 9, 30)
    assert view.priorities[2].title == "Priority 2"
    lead = view.person(view.priorities[2].lead_id)
    assert lead is not None
    assert lead.email == "lead@council.example"


def test_excel_csv_with_bom_crlf_and_blank_trailing_rows(csip: Any, engine: Engine, tmp_path: Path) -> None:
    text = (
        "Ref,Priority,Action,Owner,Due date,RAG,Note\r\n"
        '5.1,5,"Recruit carers, phase 1",jo@council.example,31/08/2017,Amber,"Waiting, as ever"\r\n'
        "5.2,5,Refresh strategy,U0123ABCD,2017-09-30,green,\r\n"
        ",,,,,,\r\n,,,,,,\r\n"
    )
    path = tmp_path / "plan.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert csip("import", path) == 0
    view = load(engine)
    assert view.actions["5.1"].record.description == "Recruit carers, phase 1"
    assert view.actions["5.1"].rag_note == "Waiting, as ever"
    owner = view.person(view.actions["5.2"].owner_id)
    assert owner is not None
    assert owner.slack_user_id == "U0123ABCD"


def test_a_file_with_bad_rows_changes_nothing_and_lists_every_problem(
    csip: Any, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [row("1.1"), row("1.2", due="31/02/2017"), row("1.3", rag="Purple"), row("1.1"),
            row("1.4", owner=""), row("1.5", due=43039), row("1.6", due="#######")]  # fmt: skip
    assert csip("import", write_xlsx(tmp_path / "bad.xlsx", rows)) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err
    for expected in (
        "row 5, column H (Due date): '31/02/2017' is not a real date",
        "row 6, column I (R.A.G.): 'Purple' is not a RAG status",
        "row 7, column A (Ref): ref 1.1 is already on row 4",
        "row 8, column G (Owner): the owner is missing",
        "row 9, column H (Due date): '43039' is a number, not a date",
        "row 10, column H (Due date): the date shows as '#####'",
    ):
        assert expected in err
    assert counts(engine) == (0, 0)


def test_dry_run_reports_and_writes_nothing(
    csip: Any, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert csip("import", write_xlsx(tmp_path / "p.xlsx", [row("1.1"), row("1.2")]), "--dry-run") == 0
    assert "new actions: 2" in capsys.readouterr().out
    assert set(rows_in_every_table(engine).values()) == {0}  # not even the plan or its people


def test_backfilled_trackers_give_a_true_history(csip: Any, engine: Engine, tmp_path: Path) -> None:
    august = write_xlsx(tmp_path / "aug.xlsx", [row("1.1", rag="Red", note="Late"), row("1.2")])
    september = write_xlsx(
        tmp_path / "sep.xlsx", [row("1.1", rag="Green", note=""), row("1.2"), row("1.3", rag="Red")]
    )
    assert csip("import", august, "--as-of", "2017-08-31") == 0
    _, events_after_august = counts(engine)
    assert csip("import", september, "--as-of", "2017-09-30") == 0
    # 1.1 changed RAG (one event), 1.2 unchanged (none), 1.3 new (created + RAG)
    assert counts(engine) == (3, events_after_august + 3)
    at_august = load(engine, dt.date(2017, 8, 31))
    assert sorted(at_august.actions) == ["1.1", "1.2"]
    assert at_august.actions["1.1"].rag is Rag.RED
    assert load(engine, dt.date(2017, 9, 30)).actions["1.1"].rag is Rag.GREEN
    assert load(engine, dt.date(2017, 8, 30)).actions == {}


def test_reimport_updates_by_ref_and_keeps_history(csip: Any, engine: Engine, tmp_path: Path) -> None:
    assert csip("import", write_xlsx(tmp_path / "a.xlsx", [row("1.1")])) == 0
    moved = [row("1.1", due=dt.date(2017, 10, 31), owner="sam@council.example")]
    assert csip("import", write_xlsx(tmp_path / "b.xlsx", moved)) == 0
    action = load(engine).actions["1.1"]
    assert (action.original_due_date, action.due_date) == (dt.date(2017, 8, 31), dt.date(2017, 10, 31))
    assert action.times_rescheduled == 1
    assert counts(engine) == (1, 4)  # created, RAG, due, owner


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_changes_nothing(
    database_url: str,
    seed: Seed,
    csip: Any,
    engine: Engine,
    tmp_path: Path,
    suffix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed("the example tracker, imported", lambda: run_csip(database_url, ("import", str(EXAMPLE))))
    before = counts(engine)
    exported = tmp_path / f"out{suffix}"
    assert csip("export", exported) == 0
    capsys.readouterr()
    assert csip("import", exported) == 0
    out = capsys.readouterr().out
    assert "unchanged: 306" in out
    assert "ignored column" not in out
    assert counts(engine) == before


def test_export_writes_uk_dates_and_the_latest_note(csip: Any, tmp_path: Path) -> None:
    assert csip("import", write_xlsx(tmp_path / "a.xlsx", [row("1.1", note="Because")])) == 0
    assert csip("export", tmp_path / "out.xlsx") == 0
    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert values["RAG"] == "Amber"
    assert values["Note"] == "Because"
    assert sheet.cell(2, header.index("Due date") + 1).number_format == "DD/MM/YYYY"


def test_unreadable_inputs_get_a_clear_message(
    csip: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Ref,Action\r\n1.1,Caf\xe9\r\n".encode("latin-1"))
    assert csip("import", latin) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert csip("import", tmp_path / "missing.xlsx") == 2
    assert "does not exist" in capsys.readouterr().err
    assert csip("import", latin, "--as-of", "2999-01-01") == 2
    assert "is in the future" in capsys.readouterr().err
    plan = tmp_path / "plan.csv"  # export reads a plan: with none, it says so before anything else
    plan.write_text("Ref,Priority,Action,Owner,Due date\r\n1.1,1,Act,jo@council.example,31/08/2017\r\n")
    assert csip("import", plan) == 0
    capsys.readouterr()
    assert csip("export", tmp_path / "no-such-folder" / "out.xlsx") == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "exports.xlsx").mkdir()
    assert csip("export", tmp_path / "exports.xlsx") == 2
    assert "is a folder; give a file name" in capsys.readouterr().err
    left = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    assert left == ["exports.xlsx", "latin.csv", "plan.csv"]  # no export, no temporary file


def test_the_example_plan_gives_the_committee_figures(csip: Any, engine: Engine) -> None:
    assert csip("import", EXAMPLE) == 0
    view = load(engine)
    figures = plan_figures(view.actions, dt.date(2017, 8, 31))
    assert (figures.total, figures.due, figures.due_share) == (306, 298, 97)
    assert (figures.rag.red, figures.rag.amber, figures.rag.green) == (23, 142, 133)
    assert figures.rag.shares == (8, 48, 44)
    reds: dict[int, int] = {}
    for action in view.actions.values():
        reds[action.priority] = reds.get(action.priority, 0) + (action.rag is Rag.RED)
    assert sorted(number for number, count in reds.items() if count == 0) == [2, 3, 10]
    assert max(reds.items(), key=lambda item: item[1]) == (5, 9)
