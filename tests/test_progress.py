"""Progress shows on a terminal and says nothing when the output is piped."""

from __future__ import annotations

import io

import pytest

from csip.cli import main
from csip.progress import progress
from tests.conftest import EXAMPLES


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_is_shown_what_is_happening() -> None:
    terminal = Terminal()
    with progress("Importing 306 actions…", terminal):
        pass
    assert "Importing 306 actions…" in terminal.getvalue()


def test_piped_output_gets_no_progress(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    assert main(["import", str(EXAMPLES / "plan.xlsx"), "--as-of", "2017-08-31"]) == 0
    assert main(["report", "--as-at", "2017-08-31"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "Importing" not in captured.out
