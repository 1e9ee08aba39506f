"""A workspace's channels and admins: set by its admins from Slack (`/csip settings …`) or by the
operator (`csip workspace set …`), kept in the database, and used by the next tick.

In a single-workspace install, what a workspace has not set is the environment's; the
environment's admins (CSIP_ADMINS) stay admins. With several workspaces, see test_install.py.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.commands import ChangeSetting, ShowSettings, parse_command
from csip.cli import main
from plan.errors import InputError
from plan.workspaces import WorkspaceSettings
from schedules.config import Channels, channels_for
from schedules.workspaces import OneWorkspace, run_due_everywhere
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, ERIN
from tests.signed import SlackHttp

MONDAY_NINE = dt.datetime(2017, 9, 4, 8, 5, tzinfo=dt.UTC)  # 09:05 London, digest day
NOW_UTC = dt.datetime(2017, 9, 5, 10, 30, tzinfo=dt.UTC)
HOME = "default"  # the single-workspace install's plan


# --- the rules, plain ---------------------------------------------------------------------------


def test_channels_not_set_here_are_the_installs() -> None:
    env = Channels(("CENV",), "CENVGOV", "CENVMGMT", "CENVMGMT")
    assert channels_for(WorkspaceSettings("T1"), env) == env
    own = channels_for(WorkspaceSettings("T1", ("COWN",), management_channel="COWNMGMT"), env)
    # Red alerts follow the workspace's own management channel when it set no alert channel.
    assert own == Channels(("COWN",), "CENVGOV", "COWNMGMT", "COWNMGMT")
    alerts = channels_for(WorkspaceSettings("T1", red_alert_channel="CRED"), Channels())
    assert alerts == Channels((), None, None, "CRED")


def test_a_setting_takes_slack_ids_only_and_a_workspace_keeps_an_admin() -> None:
    blank = WorkspaceSettings("T1")
    assert blank.changed("digest", ("C01", "C02", "C01")).digest_channels == ("C01", "C02")
    assert blank.changed("governance", ()).governance_channel is None  # unset
    assert blank.changed("admins", ("U01",)).admins == {"U01"}
    for setting, ids, problem in [
        ("digest", ("U01",), "not a Slack channel id"),
        ("admins", ("C01",), "not a Slack user id"),
        ("admins", (), "at least one administrator"),
        ("governance", ("C01", "C02"), "takes one channel"),
        ("colour", ("C01",), "There is no setting 'colour'"),
    ]:
        with pytest.raises(InputError, match=problem):
            blank.changed(setting, ids)


def test_settings_commands_read_channels_and_people_as_slack_sends_them() -> None:
    assert parse_command("settings") == ShowSettings()
    assert parse_command("settings digest <#C01|board> <#C02>") == ChangeSetting("digest", ("C01", "C02"))
    assert parse_command("settings Admins <@U01|ann> U02") == ChangeSetting("admins", ("U01", "U02"))
    assert parse_command("settings red-alerts") == ChangeSetting("red-alerts", ())
    with pytest.raises(InputError, match="pick them from the list"):
        parse_command("settings governance #board")


# --- from Slack, in a single-workspace install --------------------------------------------------


def test_an_admin_sets_the_digest_channel_and_the_next_digest_goes_there(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    saved = http.reply_to(ERIN, "settings digest <#CBOARD|improvement-board>", response="set")
    assert saved["text"] == "Saved: digest."
    assert "<#CBOARD>" in json.dumps(saved["blocks"])
    with small_plan() as store:
        assert store.workspace_settings(HOME).digest_channels == ("CBOARD",)
    ticks = run_due_everywhere(small_plan, OneWorkspace(HOME, http_client(http)), schedule(), MONDAY_NINE)
    assert not ticks.sends_failed
    digests = [c.params for c in http.slack.calls_to("chat.postMessage") if c.params["channel"] == "CBOARD"]
    assert digests and digests[0]["text"].startswith("Improvement plan digest, 4 September 2017")


def test_someone_not_an_admin_sees_the_settings_but_cannot_change_them(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    refused = http.reply_to(ALICE, "settings digest <#CMINE|mine>", response="refused")
    shown = http.reply_to(ALICE, "settings", response="shown")
    assert "Only this workspace's csip administrators can change its settings." in refused["text"]
    assert "not set here (the install's own applies)" in json.dumps(shown["blocks"])
    with small_plan() as store:
        assert store.workspace_settings(HOME) == WorkspaceSettings(HOME)


def test_admins_set_from_slack_join_the_installs_own(http: SlackHttp, small_plan: StoreFactory) -> None:
    named = http.reply_to(ERIN, "settings admins <@UALICE|alice>", response="admins")
    assert named["text"] == "Saved: admins."  # Erin is still one: CSIP_ADMINS names her
    reply = http.reply_to(ALICE, "settings governance <#CGOVERN|governance>", response="alice")
    assert reply["text"] == "Saved: governance."
    again = http.reply_to(ERIN, "settings management <#CMGMT|mgmt>", response="erin")  # CSIP_ADMINS still
    assert again["text"] == "Saved: management."
    with small_plan() as store:
        settings = store.workspace_settings(HOME)
    assert settings == WorkspaceSettings(HOME, (), "CGOVERN", "CMGMT", admins=frozenset({ALICE}))


def test_a_bare_channel_name_is_explained_and_nothing_changes(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    reply = http.reply_to(ERIN, "settings digest #board", response="bare")
    assert "pick them from the list Slack shows as you type # or @" in reply["text"]
    with small_plan() as store:
        assert store.workspace_settings(HOME) == WorkspaceSettings(HOME)


def http_client(http: SlackHttp) -> Any:
    from bot.config import SlackConnection
    from bot.slack_client import make_client

    return make_client(SlackConnection("xoxb-test", api_url=http.slack.api_url), sleep=lambda _: None)


def schedule() -> Any:
    from schedules.config import Schedule

    return Schedule(HOME, Channels())


# --- from the command line --------------------------------------------------------------------------


@pytest.fixture
def csip(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    return lambda *args: main(list(args))


def test_the_operator_sets_and_shows_a_workspaces_settings(
    csip: Any, open_store: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert csip("workspace", "set", "T123", "--digest-channels", "C01,C02", "--admins", "U01") == 0
    assert csip("workspace", "set", "T123", "--governance-channel", "CGOV") == 0
    capsys.readouterr()
    assert csip("workspace", "show", "T123") == 0
    assert capsys.readouterr().out == (
        "T123: digest C01,C02; governance CGOV; management -; red-alerts -; admins U01\n"
    )
    assert csip("workspace", "set", "T123", "--digest-channels", "") == 0  # unset
    with open_store() as store:
        assert store.workspace_settings("T123") == WorkspaceSettings(
            "T123", (), "CGOV", admins=frozenset({"U01"})
        )


def test_a_bad_id_from_the_command_line_is_one_line_and_changes_nothing(
    csip: Any, open_store: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert csip("workspace", "set", "T123", "--governance-channel", "#board") == 2
    assert capsys.readouterr().err == "csip: '#board' is not a Slack channel id (C…).\n"
    assert csip("workspace", "set", "T123") == 2
    assert "Nothing to set" in capsys.readouterr().err
    with open_store() as store:
        assert store.workspace_settings("T123") == WorkspaceSettings("T123")


def test_with_several_workspaces_the_command_line_asks_whose_plan(
    csip: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "secret")
    assert csip("export", "plan.csv") == 2
    assert "say whose plan, `csip --team T… <command>`" in capsys.readouterr().err
    assert csip("--team", "T123", "export", "plan.csv") == 2  # T123 has no plan: a clear line
    assert "There is no plan yet" in capsys.readouterr().err


def test_team_is_refused_when_csip_serves_one_workspace(
    csip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert csip("--team", "T123", "export", "plan.csv") == 2
    assert "--team is for an install serving several workspaces" in capsys.readouterr().err


def test_empty_client_credentials_beside_a_bot_token_stop_the_app_starting(
    settings: Any, small_plan: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt would start an install flow of its own and ignore the bot token (compose passes
    unset variables as empty): refused at start, in a sentence."""
    from bot.app import build_app
    from plan.errors import SetupError

    monkeypatch.setenv("SLACK_CLIENT_ID", "")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "")
    assert not settings.several_workspaces
    with pytest.raises(SetupError, match="in the environment but empty"):
        build_app(settings.bot(), small_plan)


def test_a_change_holds_the_workspaces_settings_until_it_commits(
    database_url: str, open_store: StoreFactory
) -> None:
    """Between reading the settings and writing them back, no other change can read them to
    change (so neither is lost): on PostgreSQL the row is locked, on SQLite the database's
    write lock is held. Checked from another connection in the middle of a change."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    if database_url.startswith("postgresql"):
        other = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        locking = "SELECT team_id FROM workspace_settings WHERE team_id = 'T1' FOR UPDATE NOWAIT"
        statements = ["SET lock_timeout = '1ms'", locking]
    else:
        other = create_engine(database_url, connect_args={"timeout": 0})
        statements = ["BEGIN IMMEDIATE"]
    refused: list[bool] = []

    def change_while_another_tries(settings: WorkspaceSettings) -> WorkspaceSettings:
        try:
            with other.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
            refused.append(False)
        except OperationalError:
            refused.append(True)
        return settings.changed("digest", ("CDIGEST",))

    with open_store() as store:
        store.change_workspace_settings("T1", lambda s: s.changed("governance", ("CGOV",)), NOW_UTC)
        store.commit()
    try:
        with open_store() as store:
            store.change_workspace_settings("T1", change_while_another_tries, NOW_UTC)
            store.commit()
    finally:
        other.dispose()
    assert refused == [True]
    with open_store() as store:
        assert store.workspace_settings("T1") == WorkspaceSettings("T1", ("CDIGEST",), "CGOV")
