"""`/csip` over signed HTTP against the running app, with Slack played by the stand-in."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from plan.model import PlanView
from plan.ports import Which
from plan.service import existing_plan
from storage.store import SqlPlanStore
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, BOB, CAROL, DAVE, ERIN
from tests.signed import SlackHttp


def text_of(reply: dict[str, Any]) -> str:
    return json.dumps(reply["blocks"])


def history(open_store: StoreFactory, ref: str) -> list[tuple[str, str | None, str | None]]:
    with open_store() as store:
        view = store.load(existing_plan(store, "default"))
    action = view.actions[ref]
    return [(action.rag.value if action.rag else "", action.rag_note, str(action.due_date))]


def test_owner_updates_rag_with_a_reason(http: SlackHttp, small_plan: StoreFactory) -> None:
    reply = http.reply_to(ALICE, "update 5.3 amber Contract signed; interviews start in October")
    assert reply["response_type"] == "ephemeral"
    assert "5.3 is now Amber" in text_of(reply)
    assert history(small_plan, "5.3") == [
        ("amber", "Contract signed; interviews start in October", "2017-08-31")
    ]


def test_a_change_saved_but_not_shown_says_it_was_saved(
    http: SlackHttp, small_plan: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("the reply could not be built")

    monkeypatch.setattr("bot.views.updated_reply", broken)
    reply = http.reply_to(ALICE, "update 5.3 amber Contract signed")
    assert "Your change to 5.3 was saved" in reply["text"]
    assert history(small_plan, "5.3")[0][0] == "amber"


def test_a_database_lost_after_the_commit_is_told_as_saved(
    http: SlackHttp, small_plan: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection drops between the commit and reading the action back (seen on
    PostgreSQL): the person hears it was saved, not "try again", which would record it twice."""
    reads = []
    select = SqlPlanStore.select

    def read_then_lose_the_connection(self: SqlPlanStore, plan_id: int, which: Which) -> PlanView:
        reads.append(which)
        if len(reads) == 2:  # the first finds the action; the second reads it back after the commit
            raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))
        return select(self, plan_id, which)

    monkeypatch.setattr(SqlPlanStore, "select", read_then_lose_the_connection)
    reply = http.reply_to(ALICE, "update 5.3 amber Contract signed")
    monkeypatch.undo()
    assert "Your change to 5.3 was saved" in reply["text"]
    assert history(small_plan, "5.3")[0][0] == "amber"


def test_a_lost_connection_on_the_way_out_is_not_an_error(
    small_plan: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(self: Session) -> None:
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    with small_plan() as store:
        plan_id = existing_plan(store, "default")
        monkeypatch.setattr(Session, "rollback", lost)
    monkeypatch.undo()
    assert plan_id > 0


def test_red_without_a_reason_is_refused(http: SlackHttp, small_plan: StoreFactory) -> None:
    reply = http.reply_to(ALICE, "update 5.1 red")
    assert "Red needs a reason" in text_of(reply)
    assert history(small_plan, "5.1")[0][0] == "amber"


def test_bad_rag_word_and_unknown_ref_change_nothing(http: SlackHttp, small_plan: StoreFactory) -> None:
    reply = http.reply_to(ALICE, "update 5.3 purple because")
    assert "'purple' is not a RAG status" in text_of(reply)
    reply = http.reply_to(ALICE, "update 5.4 green", response="r2")
    assert "There is no action 5.4" in text_of(reply)
    assert "5.1" in text_of(reply)
    assert "Did you mean" in text_of(reply)
    assert history(small_plan, "5.3")[0][0] == "red"


def test_a_stranger_cannot_update_someone_elses_action(http: SlackHttp, small_plan: StoreFactory) -> None:
    reply = http.reply_to(DAVE, "update 5.3 green")
    assert "Only the owner of 5.3" in text_of(reply)
    reply = http.reply_to(BOB, "update 5.3 green", response="r2")  # in the plan, not the owner
    assert "Only the owner of 5.3" in text_of(reply)
    assert history(small_plan, "5.3")[0][0] == "red"


def test_lead_and_admin_may_update(http: SlackHttp, small_plan: StoreFactory) -> None:
    http.reply_to(CAROL, "update 5.3 amber Lead says at risk")
    assert history(small_plan, "5.3")[0][0] == "amber"
    http.reply_to(ERIN, "update 5.3 green", response="r2")
    assert history(small_plan, "5.3")[0][0] == "green"


def test_note_is_escaped_and_never_pings(http: SlackHttp) -> None:
    reply = http.reply_to(ALICE, "update 5.3 red <!channel> see <@UBOB> & co")
    blocks = text_of(reply)
    assert "<!channel>" not in blocks
    assert "<@UBOB>" not in blocks
    assert "&lt;!channel&gt; see &lt;@UBOB&gt; &amp; co" in blocks


def test_show_mine_overdue_summary_help(http: SlackHttp) -> None:
    show = text_of(http.reply_to(ALICE, "show 5.3", response="show"))
    assert "Return home interviews" in show
    assert "31 August 2017" in show
    assert "Red" in show
    assert "<@UALICE>" in show  # owner's e-mail resolved to a Slack id for the mention
    mine = text_of(http.reply_to(ALICE, "mine", response="mine"))
    assert "5.1" in mine
    assert "5.3" in mine
    assert "5.2" not in mine
    overdue = text_of(http.reply_to(BOB, "overdue", response="overdue"))
    assert overdue.index("*5.3*") < overdue.index("*5.1*")  # Red before Amber: worst first
    assert "2.1" not in overdue
    assert "5.2" not in overdue
    summary = text_of(http.reply_to(BOB, "summary", response="summary"))
    assert "3 of 4 actions due (75%)" in summary
    assert "Red 1 (34%)" in summary
    assert "Amber 1 (33%)" in summary
    assert "Green 1 (33%)" in summary
    one = text_of(http.reply_to(BOB, "summary 5", response="summary5"))
    assert "Priority 5 Children Looked After" in one
    assert "2 of 3 actions due" in one
    help_text = text_of(http.reply_to(BOB, "help", response="help"))
    assert "/csip update" in help_text
    unknown = text_of(http.reply_to(BOB, "frobnicate", response="unknown"))
    assert "I don't know the command" in unknown


def test_lead_reschedules_and_history_keeps_the_original(http: SlackHttp, small_plan: StoreFactory) -> None:
    reply = http.reply_to(CAROL, "due 5.3 31/10/2017 Provider start date moved")
    assert "31 October 2017" in text_of(reply)
    assert "Originally due 31 August 2017" in text_of(reply)
    with small_plan() as store:
        action = store.load(existing_plan(store, "default")).actions["5.3"]
    assert (action.original_due_date.isoformat(), action.due_date.isoformat()) == (  # type: ignore[union-attr]
        "2017-08-31",
        "2017-10-31",
    )
    assert action.times_rescheduled == 1


def test_owner_cannot_reschedule_and_bad_dates_are_explained(
    http: SlackHttp, small_plan: StoreFactory
) -> None:
    assert "Only the lead of priority 5" in text_of(http.reply_to(ALICE, "due 5.3 31/10/2017 later"))
    mangled = text_of(http.reply_to(CAROL, "due 5.3 43039 later", response="r2"))
    assert "Excel date serial number" in mangled
    us_order = text_of(http.reply_to(CAROL, "due 5.3 10/31/2017 later", response="r3"))
    assert "not a real date" in us_order
    assert history(small_plan, "5.3")[0][2] == "2017-08-31"


def test_admin_reassigns_to_a_mentioned_user(http: SlackHttp, small_plan: StoreFactory) -> None:
    reply = http.reply_to(ERIN, "assign 5.3 <@UDAVE|dave>")
    assert "now belongs to <@UDAVE>" in text_of(reply)
    with small_plan() as store:
        view = store.load(existing_plan(store, "default"))
    owner = view.person(view.actions["5.3"].owner_id)
    assert owner is not None
    assert owner.email == "dave@elsewhere.example"
    # the new owner may now update it; the old one may not
    assert "5.3 is now Green" in text_of(http.reply_to(DAVE, "update 5.3 green", response="r2"))
    assert "Only the owner" in text_of(http.reply_to(ALICE, "update 5.3 red no", response="r3"))


def test_a_refused_reassign_adds_nobody(http: SlackHttp, small_plan: StoreFactory) -> None:
    assert "Only the lead" in text_of(http.reply_to(ALICE, "assign 5.3 <@UDAVE>"))
    with small_plan() as store:
        assert store.person_by_slack_id(existing_plan(store, "default"), DAVE) is None
    assert http.slack.calls_to("users.info") == [
        c for c in http.slack.calls_to("users.info") if c.params["user"] == ALICE
    ]


def test_concurrent_updates_are_all_kept(http: SlackHttp, small_plan: StoreFactory) -> None:
    """Several people updating the same action at once: all land in the history, none is lost,
    none is refused (on PostgreSQL they wait on the action's row lock, without deadlocking)."""
    updates = [(ALICE if n % 2 else CAROL, f"update 5.3 {'amber' if n % 2 else 'red'} Note {n}", f"u{n}")
               for n in range(8)]  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda args: http.command(args[0], args[1], response=args[2])[0], updates))
    assert statuses == [200] * 8
    replies = [http.slack.wait_for_response(name)[0] for _, _, name in updates]
    assert all("is now" in json.dumps(reply["blocks"]) for reply in replies), replies
    with small_plan() as store:
        plan_id = existing_plan(store, "default")
        view = store.load(plan_id)
        notes = {
            event.note for event in store.events(plan_id, None)[view.actions["5.3"].record.id] if event.note
        }
    assert {f"Note {n}" for n in range(8)} <= notes
