"""`csip demo`: the real app in a console workspace, driven through its input as a person would."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest

from csip.cli import main
from csip.console import run_demo
from tests.conftest import IMPORT_AUGUST, Seed, run_csip

pytestmark = pytest.mark.usefixtures("charts_drawn_once")


def session(lines: list[str]) -> str:
    out = io.StringIO()
    assert run_demo(None, iter(lines), out, echo=True) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def transcript() -> str:
    return session(
        [
            ":help",
            "/csip summary",
            "/csip report 31/08/2017",
            "/csip update 5.3 red Panel <!channel> delayed",
            ":as alex.crane@anyborough.example",
            "/csip update 5.3 green",
            ":as nobody@elsewhere.example",
            "hello",
            ":tick 2017-10-02T09:05",
        ]
    )


def section_of(text: str, heading: str) -> str:
    """The lines printed under ``── heading ──``, up to the next heading or input line."""
    start = text.index(f"── {heading} ──")
    rest = text[start:].split("\n", 1)[1]
    return re.split(r"\n(?:── |> )", rest, maxsplit=1)[0]


def test_it_answers_as_slack_would(transcript: str) -> None:
    assert "You are Dana Crane (dana.crane@anyborough.example), who owns action 5.3." in transcript
    assert ":press N" in transcript  # :help
    assert "298 of 306 actions due (97%)" in transcript
    # The committee's figures, as at 31 August 2017, from the backfilled history.
    assert "23 actions (8%) RAG rated 'Red', 142 actions (48%)" in transcript
    assert "✅ 5.3 is now Red." in transcript
    assert "Panel <!channel> delayed" in transcript  # shown as typed: it pinged nobody


def test_people_are_who_the_plan_says(transcript: str) -> None:
    assert "You are Alex Crane (alex.crane@anyborough.example)." in transcript
    assert "Only the owner of 5.3" in transcript
    assert "Nobody in this workspace has the e-mail nobody@elsewhere.example." in transcript
    assert "Type /csip …, or :help" in transcript


def test_a_tick_sends_what_is_due_that_morning(transcript: str) -> None:
    digest = section_of(transcript, "#csip-digest")
    assert "Improvement plan digest, Monday 2 October 2017" in digest
    assert "🔴 Red 21 (7%)" in digest  # September's 20, and 5.3 made Red in the session
    assert "Exemption report, 2 October 2017" in section_of(transcript, "#governance-board")
    alert = section_of(transcript, "#management")
    assert "*5.3* Review the missing protocol (priority 5 Children Looked After) went Red" in alert
    assert "Dana Crane" in section_of(transcript, "DM to Dana Crane") or "5.3" in section_of(
        transcript, "DM to Dana Crane"
    )
    assert "delivered" in transcript.rsplit("(the scheduler", 1)[1]


def first(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def test_pressing_a_reminder_control_updates_the_plan_and_the_message() -> None:
    out = io.StringIO()

    def lines() -> Iterator[str]:
        yield ":tick 2017-10-02T09:05"
        dm = section_of(out.getvalue(), "DM to Dana Crane")
        number = first(r"\[(\d+)\] Green: on track", dm)
        ref = first(r"\*(\d+\.\d+)\*", dm)
        yield f":press {number}"
        yield f"/csip show {ref}"
        yield ":press 9999"

    assert run_demo(None, lines(), out, echo=True) == 0
    text = out.getvalue()
    updated = section_of(text, "DM to Dana Crane, updated")
    assert "marked Green by @Dana Crane" in updated
    assert "🟢 Green" in section_of(text, "only you can see this")
    assert "There is no control [9999] on screen." in text


def test_the_command_reads_piped_input_and_exits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/csip summary\n:quit\n/csip mine\n"))
    assert main(["demo"]) == 0
    printed = capsys.readouterr().out
    assert "> /csip summary" in printed
    assert "Your actions" not in printed  # :quit ended it


def test_a_database_that_holds_a_plan_is_refused(
    database_url: str, seed: Seed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo changes its plan and sends its messages (to the console): never a real one's."""
    seed("the August tracker", lambda: run_csip(database_url, IMPORT_AUGUST))
    monkeypatch.setattr("sys.stdin", io.StringIO("/csip summary\n"))
    assert main(["demo", "--database", database_url]) == 2
    assert "that database holds a plan already" in capsys.readouterr().err
