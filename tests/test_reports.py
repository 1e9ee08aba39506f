"""`csip report`, `csip audit` and `/csip report`: the committee's figures rebuilt from the history."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine

from csip.cli import main
from plan.model import ActionRecord, ActionState, PlanView, Priority, Rag
from plan.report import build_report
from plan.rules import Caller
from plan.service import Change, existing_plan, update_rag
from reports.prose import paragraph
from storage.store import SqlStoreFactory as StoreFactory
from storage.store import store_factory
from tests.conftest import ALICE, IMPORT_AUGUST, IMPORT_SEPTEMBER, Seed, run_csip, serving
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn

AUGUST = (
    "For the period covering 1 May 2016 to 31 August 2017 a total of 298 actions were due to be completed "
    "which is 97% of all actions outlined in the plan. As at 31 August 2017 there are a total of 23 actions "
    "(8%) RAG rated 'Red', 142 actions (48%) RAG rated 'Amber' and 133 actions (44%) RAG rated 'Green'. "
    "Three priorities out of the 10 have no RAG rated 'Red' actions (priority 2 - Management oversight and "
    "quality assurance, priority 3 - Safeguarding Children Board and priority 10 - Legal services). The "
    "priority with the highest number of RAG rated 'Red' actions is priority 5 - Children Looked After with "
    "9 actions."
)


@pytest.fixture
def csip(database_url: str, engine: Engine, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The August tracker backfilled as at 31 August 2017, then September's as at 30 September."""
    seed("the August and September trackers", lambda: run_csip(database_url, IMPORT_AUGUST, IMPORT_SEPTEMBER))
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    return lambda *args: main([str(arg) for arg in args])


def output(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_the_august_report_reads_as_the_committee_report(
    csip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    output(capsys)
    assert csip("report", "--as-at", "2017-08-31", "--from", "2016-05-01") == 0
    assert output(capsys).strip() == AUGUST


def test_september_gives_september_figures(csip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    output(capsys)
    assert csip("report", "--as-at", "2017-09-30", "--format", "json") == 0
    data = json.loads(output(capsys))
    assert (data["as_at"], data["total"], data["due"], data["due_pct"]) == ("2017-09-30", 306, 298, 97)
    assert data["rag"] == {
        "red": {"count": 20, "pct": 7}, "amber": {"count": 130, "pct": 43}, "green": {"count": 148, "pct": 50}
    }  # fmt: skip
    assert data["priorities_without_red"] == [3, 10]
    assert data["most_red"] == [{"number": 5, "title": "Children Looked After", "red": 4}]
    assert (data["completed"], data["overdue"], data["rescheduled"]) == (53, 245, 0)
    five = next(p for p in data["priorities"] if p["number"] == 5)
    assert five == {"number": 5, "title": "Children Looked After", "total": 40, "due": 40,
                    "red": 4, "amber": 19, "green": 17}  # fmt: skip
    assert "Two priorities out of the 10" in data["paragraph"]


def test_compare_says_what_moved(csip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    output(capsys)
    assert csip("report", "--as-at", "2017-09-30", "--compare", "2017-08-31") == 0
    text = output(capsys)
    assert "Since 31 August 2017:" in text
    assert text.count("RAG Red -> Green") == 5
    assert text.count("RAG Amber -> Red") == 2
    assert text.count("RAG Amber -> Green") == 10


def test_docx_has_the_paragraph_the_table_and_the_exemptions(
    csip: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.docx"
    assert (
        csip("report", "--as-at", "2017-08-31", "--from", "2016-05-01", "--format", "docx", "--output", path)
        == 0
    )
    document = Document(str(path))
    assert AUGUST in [p.text for p in document.paragraphs]
    by_priority, exemptions = document.tables
    assert [c.text for c in by_priority.rows[0].cells] == [
        "Priority",
        "Title",
        "Actions",
        "Due",
        "Red",
        "Amber",
        "Green",
    ]
    assert len(by_priority.rows) == 11
    five = [c.text for c in by_priority.rows[5].cells]
    assert five == ["5", "Children Looked After", "40", "40", "9", "19", "12"]
    assert len(exemptions.rows) == 24  # a header and the 23 Reds


def test_xlsx_lists_every_action_as_at_the_date(csip: Any, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    assert csip("report", "--as-at", "2017-08-31", "--format", "xlsx", "--output", path) == 0
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", *(f"Priority {n}" for n in range(1, 11))]
    sheet = book["Priority 5"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Ref", "Action", "Owner", "Due date", "RAG", "Latest note")
    assert len(rows) == 41
    # 5.4 went Green in September; as at August it is Red, with August's reason.
    five_four = next(r for r in rows if r[0] == "5.4")
    assert five_four[4] == "Red"
    assert five_four[5].startswith("Delayed by recruitment freeze")
    assert sum(1 for name in book.sheetnames[1:] for _ in list(book[name].iter_rows())[1:]) == 306


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert content[12:16] == b"IHDR"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def test_png_is_a_real_image_of_the_expected_size(csip: Any, tmp_path: Path) -> None:
    path = tmp_path / "report.png"
    assert csip("report", "--as-at", "2017-09-30", "--format", "png", "--output", path) == 0
    assert png_size(path.read_bytes()) == (1200, 1000)


OUT = "{out}"  # the test's own folder: a refused report must leave nothing there


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-at", "2999-01-01", "--format", "docx", "--output", OUT], "is in the future"),
        (
            ["--as-at", "2017-09-30", "--compare", "2017-10-31", "--format", "docx", "--output", OUT],
            "--compare must be a date before",
        ),
        (["--format", "docx"], "give --output"),
        (["--format", "docx", "--output", "/no/such/folder/report.docx"], "is not a folder"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_file(
    csip: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    output = tmp_path / "report.docx"
    assert csip("report", *[str(output) if arg == OUT else arg for arg in args]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the report nor a temporary file


def test_unknown_format_and_bad_date_are_refused(csip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--format", "pdf"], ["--as-at", "31/02/2017"], ["--as-at", "last Tuesday"]):
        with pytest.raises(SystemExit) as exit_:
            csip("report", *args)
        assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'pdf'" in err
    assert "'31/02/2017' is not a date like 31/08/2017 or 2017-08-31" in err
    assert "'last Tuesday' is not a date like 31/08/2017 or 2017-08-31" in err


def test_dates_are_read_as_on_slack(csip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert csip("report", "--as-at", "31/08/2017") == 0
    uk = capsys.readouterr().out
    assert csip("report", "--as-at", "2017-08-31") == 0
    assert capsys.readouterr().out == uk


def test_a_failed_write_leaves_no_partial_file(
    csip: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.xlsx"
    target.write_bytes(b"the old report")

    write_bytes = Path.write_bytes

    def disk_fills_halfway(path: Path, content: bytes) -> int:
        write_bytes(path, content[: len(content) // 2])
        raise OSError(28, "No space left on device", str(path))

    with monkeypatch.context() as patched:
        patched.setattr(Path, "write_bytes", disk_fills_halfway)
        assert csip("report", "--format", "xlsx", "--output", target) == 2
    assert target.read_bytes() == b"the old report"
    assert list(folder.iterdir()) == [target]  # the half-written temporary file is gone too


def test_audit_csv_lists_every_change(csip: Any, engine: Engine, tmp_path: Path) -> None:
    with store_factory(engine)() as store:  # the owner's own update, as Slack makes it
        plan_id = existing_plan(store, "default")
        owner = store.person_by_email(plan_id, "fen.lowe@anyborough.example")
        assert owner is not None
        change = Change(
            plan_id, Caller(owner.id, False), "5.4", dt.datetime(2017, 10, 2, 9, 30, tzinfo=dt.UTC)
        )
        update_rag(store, change, Rag.AMBER, "Two posts still unfilled")
    path = tmp_path / "audit.csv"
    assert csip("audit", "--ref", "5.4", "--output", path) == 0
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["When", "Recorded", "Ref", "What", "Old", "New", "Reason", "Who", "Via"]
    created, *_ = rows[1:]
    assert created[1]  # when it was recorded: the moment of the import, whenever that was
    assert [[cell for n, cell in enumerate(row) if n != 1] for row in rows[1:]] == [
        ["31/08/2017 00:00", "5.4", "Created", "", "owner fen.lowe@anyborough.example, due 26 October 2016",
         "", "", "import"],
        ["31/08/2017 00:00", "5.4", "RAG", "", "Red",
         "Delayed by recruitment freeze; revised plan to CSIGB in September", "", "import"],
        ["30/09/2017 00:00", "5.4", "RAG", "Red", "Green", "", "", "import"],
        ["02/10/2017 10:30", "5.4", "RAG", "Green", "Amber", "Two posts still unfilled",
         "Fen Lowe (fen.lowe@anyborough.example)", "slack"],
    ]  # fmt: skip
    assert rows[4][1] == "02/10/2017 10:30"  # recorded when it was made
    assert csip("audit", "--since", "2017-09-01", "--output", path) == 0
    assert len(path.read_text(encoding="utf-8-sig").splitlines()) == 1 + 17 + 1


def plan_with(reds: dict[int, int]) -> PlanView:
    actions = {}
    for priority in range(1, 4):
        for n in range(3):
            rag = Rag.RED if n < reds.get(priority, 0) else Rag.GREEN
            record = ActionRecord(
                id=priority * 10 + n, ref=f"{priority}.{n + 1}", description="x", priority=priority
            )
            due = dt.date(2017, 1, 1)
            actions[record.ref] = ActionState(
                record, None, due, due, rag, None, None, None, None, None, None, 0
            )
    return PlanView(1, {n: Priority(n, f"Theme {n}", None) for n in range(1, 4)}, {}, actions)


def test_ties_zero_reds_and_one_priority_are_said_plainly() -> None:
    tie = paragraph(build_report(plan_with({1: 2, 2: 2}), dt.date(2017, 8, 31)))
    assert "One priority out of the 3 has no RAG rated 'Red' actions (priority 3 - Theme 3)." in tie
    assert "The priorities with the highest number of RAG rated 'Red' actions are priority 1 - Theme 1 " \
           "and priority 2 - Theme 2 with 2 actions each." in tie  # fmt: skip
    none = paragraph(build_report(plan_with({}), dt.date(2017, 8, 31)))
    assert none.endswith("No actions are RAG rated 'Red'.")
    every = paragraph(build_report(plan_with({1: 1, 2: 1, 3: 1}), dt.date(2017, 8, 31)))
    assert "All 3 priorities have at least one RAG rated 'Red' action." in every
    assert "with 1 action each" in every


def test_slash_report_replies_and_sends_the_word_version(
    settings: Any, small_plan: StoreFactory, slack: SlackStandIn
) -> None:
    with serving(settings, small_plan, slack) as http:
        reply = http.reply_to(ALICE, "report 31/08/2017")
        text = json.dumps(reply["blocks"])
        assert "As at 31 August 2017 there are a total of 1 action (34%) RAG rated 'Red'" in text
        button = next(b for b in reply["blocks"] if b["type"] == "actions")["elements"][0]
        status, _ = http.interaction({
            "type": "block_actions", "team": {"id": "T1"}, "user": {"id": ALICE, "team_id": "T1"},
            "response_url": slack.response_url("docx"),
            "actions": [{"action_id": button["action_id"], "value": button["value"], "type": "button"}],
        })  # fmt: skip
        assert status == 200
        confirmation = slack.wait_for_response("docx")[0]
        assert "in your direct messages" in confirmation["text"]
    complete = slack.calls_to("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == "DALICE"
    (docx,) = slack.uploaded()
    assert docx[:2] == b"PK"  # a Word file is a zip
    assert any("As at 31 August 2017" in p.text for p in Document(io.BytesIO(docx)).paragraphs)


def test_slash_report_refuses_the_future(http: SlackHttp) -> None:
    reply = http.reply_to(ALICE, "report 01/01/2999")
    assert "is in the future" in json.dumps(reply["blocks"])
