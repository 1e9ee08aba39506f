"""The Slack app's manifest: kept in manifest.yml, within the manifest schema's limits, asking
for every scope the code's Web API calls need."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.installs import REDIRECT_PATH
from csip import manifest as m
from csip.cli import main

ROOT = Path(__file__).parent.parent
PACKAGES = ["bot", "schedules", "csip", "plan", "storage", "reports", "sheets"]
CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(")


def test_manifest_yml_is_the_one_csip_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest"]) == 0
    assert (ROOT / "manifest.yml").read_text(encoding="utf-8") == capsys.readouterr().out


def test_the_manifest_keeps_within_the_schema() -> None:
    """Limits from Slack's manifest schema (slackapi/manifest-schema, version 1)."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    display = manifest["display_information"]
    assert 1 <= len(display["name"]) <= 35
    assert len(display["description"]) <= 140
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", display["background_color"])
    assert len(manifest["features"]["bot_user"]["display_name"]) <= 80
    (command,) = manifest["features"]["slash_commands"]
    assert re.fullmatch(r"/[a-z0-9_-]{1,31}", command["command"])
    assert len(command["description"]) <= 2000
    assert len(command["usage_hint"]) <= 1000
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_every_web_api_method_the_code_calls_has_its_scope() -> None:
    called = {
        method
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for method in CALL.findall(path.read_text(encoding="utf-8"))
    }
    assert called, "no Web API calls found: the pattern no longer matches the code"
    unknown = called - m.SCOPE_OF_METHOD.keys()
    assert not unknown, f"add these to csip.manifest.SCOPE_OF_METHOD with their scopes: {unknown}"
    needed = {scope for method in called if (scope := m.SCOPE_OF_METHOD[method])}
    assert needed <= set(m.BOT_SCOPES)
    # Looking a lost post up reads DMs and private channels too; commands need their own scope.
    assert {"commands", "groups:history", "im:history"} <= set(m.BOT_SCOPES)


def test_over_http_every_request_url_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    url = "https://csip.example.gov.uk/slack/events"
    assert main(["manifest", "--request-url", url]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url
    # where the install flow (several workspaces) sends installers back to: csip serves it there
    assert manifest["oauth_config"]["redirect_urls"] == [f"https://csip.example.gov.uk{REDIRECT_PATH}"]
    assert manifest["settings"]["socket_mode_enabled"] is False
