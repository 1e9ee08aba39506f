"""`csip doctor` against the Slack stand-in: one line a check, ✓ or ✗ with the fix; exit 1 when
anything is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csip.cli import main
from csip.manifest import BOT_SCOPES
from tests.conftest import IMPORT_AUGUST, Seed, run_csip
from tests.slack_standin import Answer, SlackStandIn


@pytest.fixture
def doctor(database_url: str, seed: Seed, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> Any:
    seed("the August tracker", lambda: run_csip(database_url, IMPORT_AUGUST))
    for name, value in {
        "CSIP_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": slack.api_url,
        "CSIP_DIGEST_CHANNELS": "CDIGEST",
        "CSIP_GOVERNANCE_CHANNEL": "CGOV",
    }.items():
        monkeypatch.setenv(name, value)
    slack.channels.update(
        CDIGEST={"name": "csip-digest", "is_member": True}, CGOV={"name": "governance", "is_member": True}
    )
    return lambda: main(["doctor"])


def granted(*scopes: str) -> Answer:
    body = {"ok": True, "user_id": "UBOT", "team_id": "T1", "team": "Anyborough", "bot_id": "B1"}
    return Answer(body=body, headers={"x-oauth-scopes": ",".join(scopes)})


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_ready_installation_is_all_ticks(
    doctor: Any, slack: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every owner of the sample plan is in this Slack.
    for n, email in enumerate(sorted(owners_of_the_sample())):
        slack.add_user(f"U{n:03d}", email, email)
    slack.script("auth.test", granted(*BOT_SCOPES))
    assert doctor() == 0
    shown = lines(capsys)
    assert all(line.startswith("✓ ") for line in shown), shown
    assert "✓ plan: 306 actions" in shown
    assert "✓ connection: Socket Mode (SLACK_APP_TOKEN is set)" in shown
    assert "✓ token: valid, for workspace Anyborough" in shown
    assert f"✓ scopes: all {len(BOT_SCOPES)} csip needs" in shown
    assert "✓ channel #csip-digest (the digest): csip is a member" in shown
    assert "✓ owners: every owner of an open action is matched to a Slack user" in shown


def test_what_is_wrong_says_how_to_put_it_right(
    doctor: Any, slack: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.channels["CGOV"]["is_member"] = False
    slack.script("auth.test", granted("chat:write", "commands"))
    assert doctor() == 1
    shown = lines(capsys)
    assert any(
        line.startswith("✗ scopes: missing channels:history,") and "manifest.yml" in line for line in shown
    )
    assert "✗ channel #governance (the exemption report): csip is not in it: /invite @csip there" in shown
    owners = next(line for line in shown if line.startswith("✗ owners: "))
    assert "24 owners cannot be matched to a Slack user" in owners
    assert "and 19 more" in owners


def test_without_a_token_or_a_database_it_says_so(
    doctor: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert doctor() == 1
    assert any(line.startswith("✗ token: SLACK_BOT_TOKEN is not set") for line in lines(capsys))
    monkeypatch.setenv("CSIP_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert doctor() == 1
    (line,) = lines(capsys)
    assert line.startswith("✗ database: cannot use the database (")


def owners_of_the_sample() -> set[str]:
    import random

    from csip.sample_plan import build_rows

    return {str(row[6]) for row in build_rows(random.Random(2017))}


def test_it_looks_and_changes_nothing(
    doctor: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "csip.db"
    monkeypatch.setenv("CSIP_DATABASE_URL", f"sqlite:///{missing}")
    assert doctor() == 1
    (line,) = lines(capsys)
    assert line.startswith("✗ database: none at sqlite:///") and "csip import TRACKER" in line
    assert not missing.exists()  # looked for, not created
    missing.touch()  # a database no csip has migrated
    assert doctor() == 1
    (line,) = lines(capsys)
    assert line.endswith("run `csip migrate`")


def test_slack_out_of_reach_is_a_line_not_a_crash(
    doctor: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    assert doctor() == 1
    assert "✗ token: cannot reach Slack at http://127.0.0.1:9/api/ (URLError)" in lines(capsys)
