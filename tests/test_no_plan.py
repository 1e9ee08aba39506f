"""No read creates a plan: before the first import, Slack, the scheduler and `csip export` each
say there is no plan, and leave none behind. The bot token's own workspace works on the default
plan; another workspace, without a plan of its own, is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from slack_bolt import Ack, BoltContext, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookResponse
from sqlalchemy import Engine

from bot.config import Access
from bot.handlers import Handlers
from bot.work import AtOnce
from csip.cli import main
from plan.errors import SetupError
from plan.ports import StoreFactory
from plan.service import existing_plan, import_sheet
from schedules.config import Schedule
from schedules.tick import run_due
from sheets.rows import read_sheet
from storage.store import store_factory
from tests.conftest import PLAN_GRID
from tests.memory_store import memory_store_factory

NOW = dt.datetime(2017, 9, 5, 10, 30, tzinfo=dt.UTC)
NOWHERE = "http://127.0.0.1:9/"  # nothing answers here: no test below may reach Slack
HOME = "THOME"  # the workspace the bot token is for


def ask(open_store: StoreFactory, text: str, team_id: str = HOME) -> list[str]:
    """A `/csip` command through the app's own listener; the texts of its replies."""
    replies: list[str] = []

    def respond(**reply: Any) -> WebhookResponse:
        replies.append(str(reply["text"]))
        return WebhookResponse(url="", status_code=200, body="ok", headers={})

    client = WebClient(token="xoxb-test", base_url=NOWHERE)
    handlers = Handlers(Access(), open_store, lambda: NOW, AtOnce())
    command = {"text": text, "user_id": "UALICE", "team_id": team_id, "trigger_id": "t1"}
    context = BoltContext(client=client)
    context["authorize_result"] = AuthorizeResult(enterprise_id=None, team_id=HOME)  # as auth.test said
    handlers.on_csip(cast(Ack, lambda: None), command, cast(Respond, respond), client, context)
    return replies


def with_default_plan() -> StoreFactory:
    open_store = memory_store_factory()
    with open_store() as store:
        import_sheet(store, "default", read_sheet(PLAN_GRID).rows, now=NOW - dt.timedelta(days=30))
    return open_store


def test_a_slack_request_before_any_import_is_told_there_is_no_plan() -> None:
    assert ask(memory_store_factory(), "summary") == [
        "There is no plan yet: an administrator needs to import one with `csip import`."
    ]


def test_a_slack_request_before_any_import_creates_no_plan() -> None:
    open_store = memory_store_factory()
    ask(open_store, "summary", team_id="default")
    with open_store() as store:
        assert store.find_plan_id("default") is None


def test_a_request_from_the_token_s_workspace_works_on_the_default_plan() -> None:
    assert ask(with_default_plan(), "summary") == ["The plan: Red 1, Amber 1, Green 1"]


def test_a_request_from_another_workspace_is_refused() -> None:
    (reply,) = ask(with_default_plan(), "summary", team_id="TELSEWHERE")
    assert reply.startswith("csip keeps no plan for this workspace")


def test_a_request_from_another_workspace_creates_no_plan_of_its_own() -> None:
    open_store = with_default_plan()
    ask(open_store, "summary", team_id="TELSEWHERE")
    with open_store() as store:
        assert store.find_plan_id("TELSEWHERE") is None


def test_a_tick_before_any_import_says_there_is_no_plan() -> None:
    client = WebClient(token="xoxb-test", base_url=NOWHERE)
    report = run_due(memory_store_factory(), client, Schedule("default"), NOW)
    assert str(report) == "no plan yet: nothing planned or sent"


def test_a_tick_before_any_import_creates_no_plan() -> None:
    open_store = memory_store_factory()
    run_due(open_store, WebClient(token="xoxb-test", base_url=NOWHERE), Schedule("default"), NOW)
    with open_store() as store:
        assert store.find_plan_id("default") is None


def test_a_read_of_a_plan_not_imported_is_a_setup_problem() -> None:
    with memory_store_factory()() as store, pytest.raises(SetupError, match="There is no plan yet"):
        existing_plan(store, "default")


@pytest.fixture
def csip(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    monkeypatch.setenv("CSIP_DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", NOWHERE)
    return lambda *args: main([str(arg) for arg in args])


def test_export_before_any_import_says_there_is_no_plan(
    csip: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert csip("export", tmp_path / "plan.xlsx") == 2
    assert "There is no plan yet: `csip import` one first." in capsys.readouterr().err


def test_export_before_any_import_creates_no_plan(
    csip: Callable[..., int], engine: Engine, tmp_path: Path
) -> None:
    csip("export", tmp_path / "plan.xlsx")
    with store_factory(engine)() as store:
        assert store.find_plan_id("default") is None


def test_run_due_before_any_import_sends_nothing_and_says_why(
    csip: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert csip("run-due", "--now", "2017-09-04T09:30") == 0
    assert "no plan yet: nothing planned or sent" in capsys.readouterr().out
