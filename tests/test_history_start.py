"""Reports before the history begins say so; importing a tracker again adds nothing to the audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from csip.cli import main
from plan.service import existing_plan
from reports.render import report_as_at
from storage.store import store_factory
from tests.conftest import EXAMPLES, IMPORT_AUGUST, IMPORT_SEPTEMBER, Seed, run_csip

SEPTEMBER_ONLY = ("import", str(EXAMPLES / "plan-2017-09.xlsx"), "--as-of", "2017-09-30")


@pytest.fixture
def csip(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    return lambda *args: main([str(arg) for arg in args])


def test_a_report_before_the_history_says_where_it_starts_and_how_to_backfill(
    csip: Any, seed: Seed, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed("September only", lambda: run_csip(database_url, SEPTEMBER_ONLY))
    capsys.readouterr()
    assert csip("report", "--as-at", "31/08/2017") == 2
    assert capsys.readouterr().err.strip() == (
        "csip: The plan's history in csip starts on 30 September 2017, after 31 August 2017: import "
        "the tracker of that time with `csip import TRACKER --as-of DATE` to backfill it, then ask again."
    )
    assert csip("report", "--as-at", "30/09/2017", "--format", "docx", "--output", tmp_path / "r.docx") == 0
    assert csip("report", "--as-at", "30/09/2017", "--compare", "2017-08-31") == 2
    assert "starts on 30 September 2017" in capsys.readouterr().err


def test_the_trend_starts_where_the_history_starts(seed: Seed, database_url: str, engine: Engine) -> None:
    seed("August and September", lambda: run_csip(database_url, IMPORT_AUGUST, IMPORT_SEPTEMBER))
    with store_factory(engine)() as store:
        built = report_as_at(store, existing_plan(store, "default"), dt.date(2017, 9, 30), fmt="png")
    assert built.trend is not None
    assert [day for day, _ in built.trend] == [dt.date(2017, 8, 31), dt.date(2017, 9, 30)]


def test_importing_the_same_tracker_again_adds_nothing_to_the_audit(
    csip: Any, seed: Seed, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed("August and September", lambda: run_csip(database_url, IMPORT_AUGUST, IMPORT_SEPTEMBER))

    def audit_rows() -> list[list[str]]:
        capsys.readouterr()
        assert csip("audit") == 0
        return list(csv.reader(io.StringIO(capsys.readouterr().out)))

    before = audit_rows()
    assert csip(*IMPORT_SEPTEMBER) == 0
    assert csip(*IMPORT_AUGUST) == 0
    assert audit_rows() == before
    assert len(before) > 300  # a header, then a row a change
