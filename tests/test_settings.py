from __future__ import annotations

import os
from pathlib import Path

import pytest

from csip.cli import main
from csip.settings import Settings
from tests.conftest import root_logging_kept


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Read from these variables alone: none set outside the test, and no .env file."""
    for name in list(os.environ):
        if name.startswith(("CSIP_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # an empty folder: no .env to find, were one looked for
    monkeypatch.setenv("CSIP_ADMINS", "U01, U02 ,")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    settings = Settings()
    assert settings.admins == frozenset({"U01", "U02"})
    assert settings.slack_bot_token == "xoxb-1"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "sqlite:///csip.db"


def test_serve_without_slack_secrets_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSIP_DATABASE_URL", f"sqlite:///{tmp_path}/csip.db")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with root_logging_kept():
        assert main(["serve"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
