"""The App Home tab: my actions with an update button each, the plan's headline for leads and
admins, published when the tab is opened and again after a change made through csip."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block

from bot.home import MAX_HOME_BLOCKS, Headline, home_view
from plan.figures import figures_from_tally, tally
from plan.model import PlanView, Rag, Shortlist
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, CAROL
from tests.signed import SlackHttp
from tests.test_message_sizes import TODAY, plan_of


def open_home(http: SlackHttp, user: str) -> dict[str, Any]:
    event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}
    body = json.dumps(
        {"type": "event_callback", "team_id": "T1", "event": event, "event_id": f"Ev{user}"}
    ).encode()
    status, _ = http.send(body, {**http.signed_headers(body), "Content-Type": "application/json"})
    assert status == 200
    calls = http.slack.wait_for(lambda calls: any(c.method == "views.publish" for c in calls))
    (published,) = [c.params for c in calls if c.method == "views.publish"]
    assert published["user_id"] == user
    return dict(published["view"])


def test_an_owner_sees_their_actions_worst_first_with_an_update_button(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    view = open_home(http, ALICE)
    text = json.dumps(view["blocks"])
    assert view["type"] == "home"
    assert "*Your actions:* 2 open actions, 2 overdue, 0 due in the next 14 days." in text
    assert text.index("*5.3*") < text.index("*5.1*")  # Red before Amber
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("open_update_modal", "5.3"),
        ("open_update_modal", "5.1"),
    ]
    assert "*The plan:*" not in text  # the headline is for leads and admins


def test_a_priority_lead_also_sees_the_plan_and_its_reds(http: SlackHttp, small_plan: StoreFactory) -> None:
    text = json.dumps(open_home(http, CAROL)["blocks"])
    assert "*The plan:* 3 of 4 actions due" in text
    assert "*Red actions* (1)" in text


def test_a_change_through_csip_refreshes_the_home(http: SlackHttp, small_plan: StoreFactory) -> None:
    http.reply_to(ALICE, "update 5.3 amber Contract signed")
    calls = http.slack.wait_for(lambda calls: any(c.method == "views.publish" for c in calls))
    published = [c.params for c in calls if c.method == "views.publish"]
    assert [p["user_id"] for p in published] == [ALICE]  # she made it and owns 5.3
    assert ":large_orange_circle: Amber · *5.3*" in json.dumps(published[0]["view"], ensure_ascii=False)


def test_the_home_stays_within_slacks_limits_however_many_actions() -> None:
    view = plan_of(3000, 300)
    mine = PlanView(view.plan_id, view.priorities, view.people, dict(list(view.actions.items())[:2000]))
    actions = list(view.actions.values())
    reds = [a for a in actions if a.rag is Rag.RED]
    shortlist = Shortlist(PlanView(1, view.priorities, view.people, {a.ref: a for a in reds[:10]}), len(reds))
    headline = Headline(figures_from_tally(tally(actions, TODAY), TODAY), shortlist)
    home = home_view("Owner 1", mine, TODAY, headline)
    assert len(home["blocks"]) <= MAX_HOME_BLOCKS
    for block in home["blocks"]:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()
    assert "<!channel>" not in json.dumps(home)
