"""Requests from a workspace other than the one csip's token is for.

A workspace with no plan of its own gets no plan: not the default one, and none of its people is
matched by e-mail to an owner (which would send the owner's reminders to the wrong workspace).
A workspace with its own plan works on that plan only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from plan.service import import_sheet
from sheets.rows import read_sheet
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, NOW, PLAN_GRID
from tests.signed import SlackHttp

ELSEWHERE = "T2"
ALICE_ELSEWHERE = "UALICE2"  # a user of the other workspace with Alice's e-mail


def command_from(http: SlackHttp, team: str, user: str, text: str, response: str) -> dict[str, Any]:
    form = {**http.command_form(user, text, response), "team_id": team}
    status, _ = http.post(form)
    assert status == 200
    return http.slack.wait_for_response(response)[-1]


def alice_in_the_plan(open_store: StoreFactory, team: str = "default") -> str | None:
    with open_store() as store:
        plan_id = store.find_plan_id(team)
        assert plan_id is not None
        person = store.person_by_email(plan_id, "alice@council.example")
    return person.slack_user_id if person else None


def test_another_workspace_without_a_plan_is_refused_and_matches_nobody(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    http.slack.add_user(ALICE_ELSEWHERE, "Alice Ashdown", "alice@council.example")
    http.reply_to(ALICE, "mine", response="home")  # Alice, at home, is matched once
    reply = command_from(http, ELSEWHERE, ALICE_ELSEWHERE, "update 5.3 green", "away")
    assert "keeps no plan for this workspace" in reply["text"]
    assert not any(c.params.get("user") == ALICE_ELSEWHERE for c in http.slack.calls_to("users.info"))
    assert alice_in_the_plan(small_plan) == ALICE
    with small_plan() as store:
        plan_id = store.find_plan_id("default")
        assert plan_id is not None
        assert store.load(plan_id).actions["5.3"].rag is not None
        assert store.load(plan_id).actions["5.3"].rag.value == "red"  # type: ignore[union-attr]


def test_a_button_from_another_workspace_is_refused(http: SlackHttp, small_plan: StoreFactory) -> None:
    status, _ = http.interaction({
        "type": "block_actions", "team": {"id": ELSEWHERE}, "user": {"id": ALICE, "team_id": ELSEWHERE},
        "container": {"type": "message", "channel_id": "DALICE", "message_ts": "1.1"},
        "message": {"text": "", "blocks": []}, "response_url": http.slack.response_url("button"),
        "actions": [{"action_id": "reminder_complete", "value": "5.3", "type": "button"}],
    })  # fmt: skip
    assert status == 200
    (reply,) = http.slack.wait_for_response("button")
    assert "keeps no plan for this workspace" in reply["text"]
    assert http.slack.calls_to("chat.update") == []


def test_a_workspace_with_its_own_plan_works_on_that_plan_only(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    grid = [row[:] for row in PLAN_GRID]
    grid[2][4] = "Their own action"  # 5.1, Alice's, described otherwise in the other plan
    with small_plan() as store:
        import_sheet(store, ELSEWHERE, read_sheet(grid).rows, now=NOW - dt.timedelta(days=1))
    http.slack.add_user(ALICE_ELSEWHERE, "Alice Ashdown", "alice@council.example")
    theirs = command_from(http, ELSEWHERE, ALICE_ELSEWHERE, "mine", "away")
    assert "Their own action" in json.dumps(theirs["blocks"])
    assert alice_in_the_plan(small_plan, ELSEWHERE) == ALICE_ELSEWHERE
    ours = http.reply_to(ALICE, "mine", response="home")
    assert "Their own action" not in json.dumps(ours["blocks"])
    assert alice_in_the_plan(small_plan) == ALICE
