"""`csip digest --preview`, `csip exemption --preview` and `csip run-due`, as an operator runs them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine

from csip.cli import main
from tests.conftest import IMPORT_AUGUST, Seed, run_csip
from tests.slack_standin import SlackStandIn, blocks_problem

pytestmark = pytest.mark.usefixtures("charts_drawn_once")  # the digest's chart: see conftest


@pytest.fixture
def csip(
    database_url: str, engine: Engine, seed: Seed, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """`csip` on the example tracker, imported as at 31 August 2017."""
    seed("the August tracker", lambda: run_csip(database_url, IMPORT_AUGUST))
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("CSIP_DIGEST_CHANNELS", "CDIGEST,CLEADS")
    monkeypatch.setenv("CSIP_GOVERNANCE_CHANNEL", "CGOV")
    return lambda *args: main(list(args))


def test_digest_preview_prints_payloads_and_sends_nothing(
    csip: Any, slack: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert csip("digest", "--preview", "--now", "2017-09-04T09:30") == 0
    calls = json.loads(capsys.readouterr().out)
    posts = [call["payload"] for call in calls if call["method"] == "chat.postMessage"]
    files = [call for call in calls if call["method"] == "files_upload_v2"]
    assert [p["channel"] for p in posts] == ["CDIGEST"] * 3 + ["CLEADS"] * 3
    assert [f["filename"] for f in files] == [
        "rag-by-priority-2017-09-04.png",
        "digest-lists-2017-09-04.xlsx",
    ] * 2
    assert all(set(p) <= {"channel", "text", "blocks", "thread_ts"} for p in posts)  # nothing else
    assert ["thread_ts" in p for p in posts] == [False, True, True] * 2
    assert all(blocks_problem(p["blocks"]) is None for p in posts)
    head = json.dumps(posts[0]["blocks"])
    assert "Improvement plan digest, Monday 4 September 2017" in head
    assert "Red 23 (8%)" in head
    assert "Amber 142 (48%)" in head
    assert "Green 133 (44%)" in head
    assert "Most Red:* priority 5 Children Looked After (9)" in head
    assert slack.calls == []


def test_exemption_preview_lists_every_red(csip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert csip("exemption", "--preview", "--now", "2017-09-01T10:00") == 0
    posts = [call["payload"] for call in json.loads(capsys.readouterr().out)]
    assert posts[0]["text"] == "Exemption report, 1 September 2017: 23 actions RAG rated Red"
    assert sum(json.dumps(p["blocks"]).count("Red since") for p in posts[1:]) == 23


def test_preview_without_channels_says_what_to_set(
    csip: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CSIP_DIGEST_CHANNELS")
    assert csip("digest", "--preview") == 2
    assert "No digest channel is set" in capsys.readouterr().err


def test_run_due_sends_once(csip: Any, slack: SlackStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    assert csip("run-due", "--now", "2017-09-04T09:30") == 0
    first = capsys.readouterr().out
    assert "planned: owner_reminder 2017-09-04" in first
    assert "delivered" in first
    assert "skipped: exemption 2017-09-01" in first  # three days late
    sent = len(slack.posted())
    assert sent == 6  # the digest, its overdue list and its unreachable owners, to two channels
    assert csip("run-due", "--now", "2017-09-04T09:40") == 0
    assert "nothing sent" in capsys.readouterr().out
    assert len(slack.posted()) == sent
