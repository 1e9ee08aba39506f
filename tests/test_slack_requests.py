"""Forged requests, the update modal and its button, Slack's failures, Block Kit limits."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from plan.calendar import working_days_between
from plan.model import PlanView
from plan.ports import Which
from plan.service import existing_plan
from storage.store import SqlPlanStore
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, NOW, load_grid
from tests.signed import SlackHttp
from tests.slack_standin import Answer, rate_limited, server_error


def rag_of(open_store: StoreFactory, ref: str) -> str | None:
    with open_store() as store:
        action = store.load(existing_plan(store, "default")).actions[ref]
    return action.rag.value if action.rag else None


@pytest.mark.parametrize(
    "how",
    [
        {"signature": "v0=" + "0" * 64},  # forged
        {"age_seconds": 6 * 60},  # stale: over five minutes old
        {"signed": False},  # missing
    ],
    ids=["forged", "stale", "missing"],
)
def test_unsigned_or_badly_signed_requests_get_401_and_change_nothing(
    http: SlackHttp, small_plan: StoreFactory, how: dict[str, Any]
) -> None:
    status, _ = http.command(ALICE, "update 5.3 green", **how)
    assert status == 401
    assert rag_of(small_plan, "5.3") == "red"
    assert [call.method for call in http.slack.calls] == ["auth.test"]


def test_rate_limited_lookup_honours_retry_after_and_updates_once(
    http: SlackHttp, small_plan: StoreFactory, retry_waits: list[float]
) -> None:
    http.slack.script("users.info", rate_limited(retry_after=7))
    reply = http.reply_to(ALICE, "update 5.3 green")
    assert "5.3 is now Green" in json.dumps(reply["blocks"])
    assert len(http.slack.calls_to("users.info")) == 2
    assert len(retry_waits) == 1
    assert 7 <= retry_waits[0] < 8
    assert len(http.slack.wait_for_response()) == 1


def test_server_error_is_retried(http: SlackHttp, retry_waits: list[float]) -> None:
    http.slack.script("users.lookupByEmail", server_error())
    reply = http.reply_to(ALICE, "show 5.3")
    assert "<@UALICE>" in json.dumps(reply["blocks"])
    assert len(http.slack.calls_to("users.lookupByEmail")) == 2
    assert len(retry_waits) == 1


def test_slack_down_still_gets_an_answer_and_writes_nothing(
    http: SlackHttp, small_plan: StoreFactory, retry_waits: list[float]
) -> None:
    http.slack.script("users.info", *[server_error()] * 3)
    reply = http.reply_to(ALICE, "update 5.3 green")
    assert "Slack did not answer csip just now, so nothing was changed" in json.dumps(reply["blocks"])
    assert rag_of(small_plan, "5.3") == "red"


def test_a_refused_reply_falls_back_to_plain_text(http: SlackHttp) -> None:
    http.slack.script("response/r1", Answer(400, {"ok": False, "error": "invalid_blocks"}))
    http.command(ALICE, "show 5.3")
    replies = http.slack.wait_for_response(count=2)
    assert "blocks" in replies[0]
    assert "blocks" not in replies[1]
    assert replies[1]["text"].startswith("5.3")


def test_a_long_list_fits_block_kit_limits(http: SlackHttp, small_plan: StoreFactory) -> None:
    grid: list[list[Any]] = [["Ref", "Priority", "Action", "Owner", "Due date", "RAG", "Note"]]
    for n in range(1, 307):
        priority = n % 10 + 1
        grid.append([f"{priority}.{n}", priority, "A long action description " * 6,
                     "alice@council.example", dt.date(2017, 1, 1), "Amber", "why"])  # fmt: skip
    load_grid(small_plan, grid)
    reply = http.reply_to(ALICE, "overdue")  # the stand-in answers invalid_blocks past the limits
    assert len(reply["blocks"]) <= 50
    assert "more not shown" in json.dumps(reply["blocks"])
    assert len(http.slack.wait_for_response()) == 1


def modal_values(ref: str, rag: str, note: str | None) -> dict[str, Any]:
    return {
        "action": {"action": {"type": "static_select", "selected_option": {"value": ref}}},
        "rag": {"rag": {"type": "radio_buttons", "selected_option": {"value": rag}}},
        "note": {"note": {"type": "plain_text_input", "value": note}},
    }


def submit(http: SlackHttp, user: str, values: dict[str, Any], metadata: str) -> tuple[int, str]:
    return http.interaction(
        {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "update_rag_modal",
                "private_metadata": metadata,
                "state": {"values": values},
            },
        }
    )


def test_update_with_no_arguments_opens_a_modal_of_my_actions(http: SlackHttp) -> None:
    status, _ = http.command(ALICE, "update")
    assert status == 200
    calls = http.slack.wait_for(lambda calls: any(c.method == "views.open" for c in calls))
    view = next(c for c in calls if c.method == "views.open").params["view"]
    options = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert options == ["5.1", "5.3"]
    assert json.loads(view["private_metadata"])["response_url"] == http.slack.response_url()


def outcome(http: SlackHttp) -> str:
    """The text the submitted form shows once the work after its ack is done."""
    calls = http.slack.wait_for(lambda calls: any(c.method == "views.update" for c in calls))
    (update,) = [c for c in calls if c.method == "views.update"]
    assert update.params["view_id"] == "V1"
    return json.dumps(update.params["view"]["blocks"])


def test_modal_submission_records_and_confirms(http: SlackHttp, small_plan: StoreFactory) -> None:
    metadata = json.dumps({"response_url": http.slack.response_url("modal")})
    status, body = submit(http, ALICE, modal_values("5.3", "amber", "Back on track next month"), metadata)
    assert status == 200
    assert json.loads(body)["response_action"] == "update"  # "Saving 5.3…" while the work runs
    assert "5.3: marked Amber" in outcome(http)
    assert rag_of(small_plan, "5.3") == "amber"
    reply = http.slack.wait_for_response("modal")[0]
    assert "5.3 is now Amber" in json.dumps(reply["blocks"])


def test_modal_red_without_reason_shows_the_error_in_the_form(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    status, body = submit(http, ALICE, modal_values("5.1", "red", None), "{}")
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "Red needs a reason" in answer["errors"]["note"]
    assert rag_of(small_plan, "5.1") == "amber"


def test_modal_refuses_a_stranger_in_the_form(http: SlackHttp, small_plan: StoreFactory) -> None:
    status, _ = submit(http, "UDAVE", modal_values("5.1", "green", None), "{}")
    assert status == 200
    assert "Only the owner of 5.1" in outcome(http)
    assert rag_of(small_plan, "5.1") == "amber"


def test_update_button_opens_the_modal_on_that_action(http: SlackHttp) -> None:
    status, _ = http.interaction(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": ALICE, "team_id": "T1"},
            "trigger_id": "trigger-2",
            "response_url": http.slack.response_url("button"),
            "actions": [{"action_id": "open_update_modal", "value": "5.3", "type": "button"}],
        }
    )
    assert status == 200
    calls = http.slack.wait_for(lambda calls: any(c.method == "views.open" for c in calls))
    view = next(c for c in calls if c.method == "views.open").params["view"]
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "5.3"


def test_the_clock_is_the_injected_one(http: SlackHttp) -> None:
    reply = http.reply_to(ALICE, "show 5.1")
    expected_late = working_days_between(dt.date(2017, 7, 31), NOW.date())  # due 31 July
    assert f"{expected_late} working days overdue" in json.dumps(reply["blocks"])


def test_a_form_closed_before_its_outcome_still_saves_and_replies(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    http.slack.script("views.update", Answer(200, {"ok": False, "error": "not_found"}))
    metadata = json.dumps({"response_url": http.slack.response_url("closed")})
    status, _ = submit(http, ALICE, modal_values("5.3", "amber", "Provider found"), metadata)
    assert status == 200
    reply = http.slack.wait_for_response("closed")[0]
    assert "5.3 is now Amber" in json.dumps(reply["blocks"])
    assert rag_of(small_plan, "5.3") == "amber"


def test_a_form_saved_before_the_database_went_away_says_saved(
    http: SlackHttp, small_plan: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Which] = []
    select = SqlPlanStore.select

    def read_then_lose_the_connection(self: SqlPlanStore, plan_id: int, which: Which) -> PlanView:
        reads.append(which)
        if which.refs == frozenset({"5.3"}) and len([r for r in reads if r.refs]) == 2:
            raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))
        return select(self, plan_id, which)

    monkeypatch.setattr(SqlPlanStore, "select", read_then_lose_the_connection)
    status, _ = submit(http, ALICE, modal_values("5.3", "amber", "Provider found"), "")
    assert status == 200
    calls = http.slack.wait_for(lambda calls: any(c.method == "views.update" for c in calls))
    monkeypatch.undo()
    outcome = json.dumps([c.params["view"] for c in calls if c.method == "views.update"][-1])
    assert "Saved" in outcome and "nothing was changed" not in outcome
    assert rag_of(small_plan, "5.3") == "amber"
