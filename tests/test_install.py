"""Several councils on one install: Slack's OAuth install flow, and each workspace kept apart.

The app is served as `csip serve` serves it with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set:
installations and the flow's states in the test's database (slack_sdk's SQLAlchemy stores),
every request authorised by its workspace's installation, the scheduler ticking every plan's
workspace with that workspace's token. The stand-in for Slack knows which token each call used.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.app import build_app
from bot.installs import NOT_INSTALLED, InstalledWorkspaces, Installs, record_first_admin
from bot.server import asgi_app
from bot.slack_client import make_client
from bot.work import Background
from csip.cli import main
from csip.installations import installs
from csip.settings import Settings
from plan.errors import SetupError
from plan.model import Rag
from plan.ports import Which
from plan.service import import_sheet
from plan.workspaces import WorkspaceSettings
from schedules.workspaces import run_due_everywhere
from sheets.rows import read_sheet
from storage.database import connect
from storage.requests import SqlSeenRequests
from storage.store import SqlStoreFactory as StoreFactory
from tests.conftest import ALICE, NOW, PLAN_GRID, SERVER, SIGNING_SECRET
from tests.signed import SlackHttp
from tests.slack_standin import SlackStandIn

ONE, TWO, THREE = "TONE", "TTWO", "TTHREE"
TOKENS = {ONE: "xoxb-one", TWO: "xoxb-two"}
ALICE_TWO = "UALICETWO"  # Alice's namesake in the second council: her own Slack user
ADMIN_TWO = "UADMINTWO"
MONDAY_NINE = dt.datetime(2017, 9, 4, 8, 5, tzinfo=dt.UTC)  # 09:05 London, digest day


def several(database_url: str, slack: SlackStandIn) -> Settings:
    return Settings(
        database_url=database_url,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )


@contextmanager
def serving_several(
    database_url: str,
    open_store: StoreFactory,
    slack: SlackStandIn,
    one_at_a_time: bool = False,
    admins: frozenset[str] = frozenset(),
) -> Iterator[tuple[SlackHttp, Installs]]:
    """The app as `csip serve` runs it with several workspaces; ``one_at_a_time``: Bolt's own
    listeners (the uninstall event's) finish before the request is answered; ``admins``: as
    CSIP_ADMINS."""
    settings = several(database_url, slack).model_copy(update={"admins": admins})
    engine = connect(database_url)
    found = installs(settings, engine)
    assert found is not None
    background = Background()
    client = make_client(settings.slack(), sleep=lambda _: None)
    app = build_app(settings.bot(), open_store, client=client, clock=lambda: NOW, background=background,
                    installs=found, one_at_a_time=one_at_a_time)  # fmt: skip
    port = SERVER.serve(asgi_app(app, SIGNING_SECRET, SqlSeenRequests(engine)))
    try:
        yield SlackHttp(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, slack), found
    finally:
        SERVER.serve(None)
        background.shutdown()
        engine.dispose()


def install(found: Installs, team: str, installer: str, token: str) -> None:
    """What the install flow keeps for a workspace (tested end to end below)."""
    found.installations.save(
        Installation(
            app_id="A1",
            team_id=team,
            team_name=team,
            bot_token=token,
            bot_id="B" + team,
            bot_user_id="UBOT",
            bot_scopes="chat:write",
            user_id=installer,
        )
    )


def import_plan(open_store: StoreFactory, team: str, description: str, rag_53: str) -> None:
    grid = [row[:] for row in PLAN_GRID]
    grid[2][4] = description  # 5.1's description, told apart in each plan
    grid[4][7] = rag_53
    with open_store() as store:
        import_sheet(store, team, read_sheet(grid).rows, now=NOW - dt.timedelta(days=30))


def command(http: SlackHttp, team: str, user: str, text: str, response: str) -> dict[str, Any]:
    """The reply, through the response URL, to `/csip <text>` from ``user`` in ``team``."""
    status, _ = http.post({**http.command_form(user, text, response), "team_id": team})
    assert status == 200
    return http.slack.wait_for_response(response)[-1]


def rag_of(open_store: StoreFactory, team: str, ref: str) -> Rag | None:
    with open_store() as store:
        plan_id = store.find_plan_id(team)
        assert plan_id is not None
        return store.select(plan_id, Which(refs=frozenset({ref}))).actions[ref].rag


@pytest.fixture
def two_councils(open_store: StoreFactory, slack: SlackStandIn) -> StoreFactory:
    import_plan(open_store, ONE, "The first council's strategy", "Red")
    import_plan(open_store, TWO, "The second council's strategy", "Amber")
    slack.teams.update({token: team for team, token in TOKENS.items()})
    slack.add_user(ALICE_TWO, "Alice Ashdown", "alice@council.example")
    slack.add_user(ADMIN_TWO, "Ada Admin", "ada@second.example")
    return open_store


# --- the install flow ---------------------------------------------------------------------


def get(url: str, cookie: str | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def install_through_slack(http: SlackHttp, code: str) -> tuple[int, str, str]:
    """A browser opens the install page, and Slack sends it back with ``code``: the redirect's
    status, and the install page it began from."""
    base = http.url.removesuffix("/slack/events")
    status, page, headers = get(f"{base}/slack/install")
    assert status == 200
    state = re.search(r"state=([^&\"]+)", page)
    assert state is not None
    cookie = headers["set-cookie"].split(";")[0]  # the browser that began the install
    status, answer, _ = get(f"{base}/slack/oauth_redirect?code={code}&state={state.group(1)}", cookie)
    return status, page, answer


def test_installing_keeps_the_token_and_makes_the_installer_the_first_admin(
    database_url: str, open_store: StoreFactory, slack: SlackStandIn
) -> None:
    slack.installs["code-3"] = {
        "app_id": "A1", "access_token": "xoxb-three", "token_type": "bot", "scope": "chat:write",
        "bot_user_id": "UBOT", "team": {"id": THREE, "name": "Third"}, "authed_user": {"id": "UINSTALLER"},
    }  # fmt: skip
    slack.teams["xoxb-three"] = THREE
    slack.add_user("UINSTALLER", "Ivy Installer", "ivy@third.example", slack_admin=True)
    with serving_several(database_url, open_store, slack) as (http, found):
        status, page, answer = install_through_slack(http, "code-3")
        assert status == 200, answer
        assert "client_id=111.222" in page and "chat:write,commands" in page
        bot = found.installations.find_bot(enterprise_id=None, team_id=THREE)
        assert bot is not None and bot.bot_token == "xoxb-three"
        with open_store() as store:
            assert store.workspace_settings(THREE).admins == {"UINSTALLER"}
        assert {c.token for c in slack.calls_to("users.info")} == {"xoxb-three"}  # is Ivy Slack's admin?
        reply = command(http, THREE, "UINSTALLER", "summary", "third")  # installed, but no plan yet
        assert reply["text"] == (
            f"There is no plan yet: the operator imports this workspace's with `csip --team {THREE} import`."
        )
        with open_store() as store:
            assert store.find_plan_id(THREE) is None


def test_an_installer_who_is_not_a_slack_admin_is_not_made_csips(
    database_url: str, open_store: StoreFactory, slack: SlackStandIn
) -> None:
    slack.installs["code-3"] = {"app_id": "A1", "access_token": "xoxb-three", "team": {"id": THREE},
                                "authed_user": {"id": "UMEMBER"}}  # fmt: skip
    slack.add_user("UMEMBER", "Max Member", "max@third.example")
    with serving_several(database_url, open_store, slack) as (http, found):
        status, _, _ = install_through_slack(http, "code-3")
    assert status == 200
    assert found.installations.find_bot(enterprise_id=None, team_id=THREE) is not None
    with open_store() as store:
        assert store.workspace_settings(THREE).admins == frozenset()  # the operator names them


def test_the_install_page_forgets_expired_states_and_stops_at_its_limit(
    database_url: str, open_store: StoreFactory, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.installs.MAX_OPEN_INSTALLS", 2)
    with serving_several(database_url, open_store, slack) as (http, found):
        states = found.states.oauth_states  # type: ignore[attr-defined]
        with found.states.engine.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(states.insert(), [{"state": "old", "expire_at": dt.datetime(2017, 9, 1)}])
        base = http.url.removesuffix("/slack/events")
        answers = [get(f"{base}/slack/install")[:2] for _ in range(3)]
        with found.states.engine.connect() as connection:  # type: ignore[attr-defined]
            kept = [row.state for row in connection.execute(states.select())]
    assert [status for status, _ in answers] == [200, 200, 503]
    assert answers[2][1] == "Too many installs are under way: try again in ten minutes.\n"
    assert "old" not in kept and len(kept) == 2


def test_an_install_whose_state_was_not_issued_keeps_nothing(
    database_url: str, open_store: StoreFactory, slack: SlackStandIn
) -> None:
    slack.installs["code-3"] = {"app_id": "A1", "access_token": "xoxb-three", "team": {"id": THREE},
                                "authed_user": {"id": "UINSTALLER"}}  # fmt: skip
    with serving_several(database_url, open_store, slack) as (http, found):
        base = http.url.removesuffix("/slack/events")
        forged = "slack-app-oauth-state=forged"
        status, _, _ = get(f"{base}/slack/oauth_redirect?code=code-3&state=forged", forged)
        assert status == 401
        assert found.installations.find_bot(enterprise_id=None, team_id=THREE) is None
    assert slack.calls_to("oauth.v2.access") == []


def test_a_request_from_a_workspace_csip_is_not_installed_in_is_refused(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    with serving_several(database_url, two_councils, slack) as (http, found):
        install(found, ONE, ALICE, TOKENS[ONE])
        refusal = command(http, TWO, ALICE_TWO, "update 5.3 green", "r2")
    assert refusal["text"] == NOT_INSTALLED
    assert rag_of(two_councils, TWO, "5.3") == Rag.AMBER
    assert slack.calls_to("users.info") == []


# --- two workspaces on one database ---------------------------------------------------------


def test_each_workspace_sees_and_changes_only_its_own_plan(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    with serving_several(database_url, two_councils, slack) as (http, found):
        install(found, ONE, ALICE, TOKENS[ONE])
        install(found, TWO, ADMIN_TWO, TOKENS[TWO])
        theirs = command(http, TWO, ALICE_TWO, "show 5.1", "two-show")
        ours = command(http, ONE, ALICE, "mine", "one-mine")
        saved = command(http, TWO, ALICE_TWO, "update 5.3 green Interviews back on track", "two-update")
    assert "The second council's strategy" in json.dumps(theirs["blocks"])
    assert "The first council's strategy" in json.dumps(ours["blocks"])
    assert "is now Green" in json.dumps(saved)
    assert rag_of(two_councils, TWO, "5.3") == Rag.GREEN
    assert rag_of(two_councils, ONE, "5.3") == Rag.RED  # the first council's 5.3 is untouched
    # Each workspace's people were looked up with that workspace's own token.
    looked_up = {(c.params["user"], c.token) for c in slack.calls_to("users.info")}
    assert looked_up == {(ALICE_TWO, TOKENS[TWO]), (ALICE, TOKENS[ONE])}
    # Slack's auth.test, which Bolt asks before a request's ack, is asked once a token, not per request.
    assert sorted(c.token or "" for c in slack.calls_to("auth.test")) == sorted(TOKENS.values())


def test_the_home_tab_and_a_reminders_buttons_work_on_their_own_workspaces_plan(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    with serving_several(database_url, two_councils, slack) as (http, found):
        install(found, ONE, ALICE, TOKENS[ONE])
        install(found, TWO, ADMIN_TWO, TOKENS[TWO])
        event = {"type": "app_home_opened", "user": ALICE_TWO, "tab": "home", "channel": "DTWO"}
        body = json.dumps({"type": "event_callback", "team_id": TWO, "event": event, "event_id": "EvHome"})
        status, _ = http.send(
            body.encode(), {**http.signed_headers(body.encode()), "Content-Type": "application/json"}
        )
        assert status == 200
        (home,) = [c for c in slack.wait_for(lambda cs: any(c.method == "views.publish" for c in cs))
                   if c.method == "views.publish"]  # fmt: skip
        status, _ = http.interaction({
            "type": "block_actions", "team": {"id": TWO}, "user": {"id": ALICE_TWO, "team_id": TWO},
            "trigger_id": "t2", "container": {"type": "message", "channel_id": "DTWO", "message_ts": "1.1"},
            "message": {"text": "Your actions", "blocks": [], "ts": "1.1"},
            "response_url": slack.response_url("press"),
            "actions": [{"action_id": "reminder_green", "value": "5.1", "type": "button"}],
        })  # fmt: skip
        assert status == 200
        updated = slack.wait_for(lambda cs: any(c.method == "chat.update" for c in cs))
    assert home.token == TOKENS[TWO] and "The second council's strategy" in json.dumps(home.params["view"])
    assert [c.token for c in updated if c.method == "chat.update"] == [TOKENS[TWO]]
    assert rag_of(two_councils, TWO, "5.1") == Rag.GREEN
    assert rag_of(two_councils, ONE, "5.1") == Rag.AMBER


def test_the_environments_admins_administer_no_workspace_when_csip_serves_several(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    with serving_several(database_url, two_councils, slack, admins=frozenset({ALICE_TWO})) as (http, found):
        install(found, TWO, ADMIN_TWO, TOKENS[TWO])
        refused = command(http, TWO, ALICE_TWO, "settings digest <#CSTOLEN|x>", "refused")
        moved = command(http, TWO, ALICE_TWO, "due 5.3 31/12/2017 Moved by an admin", "due")
    assert "Only this workspace's csip administrators" in refused["text"]
    assert moved["text"] == "Only the lead of priority 5 or an admin can reschedule or reassign 5.3."


def test_each_workspace_has_its_own_settings_and_admins(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    with serving_several(database_url, two_councils, slack) as (http, found):
        install(found, ONE, ALICE, TOKENS[ONE])
        install(found, TWO, ADMIN_TWO, TOKENS[TWO])
        with two_councils() as store:  # as the install flow does for its installer
            record_first_admin(store, ONE, ALICE, lambda: NOW)
            record_first_admin(store, TWO, ADMIN_TWO, lambda: NOW)
        set_one = command(http, ONE, ALICE, "settings digest <#CONEDIGEST|board>", "one")
        refused = command(http, TWO, ALICE_TWO, "settings digest <#CSTOLEN|x>", "two-refused")
        set_two = command(http, TWO, ADMIN_TWO, "settings governance <#CTWOGOV|governance>", "two")
        shown = command(http, TWO, ALICE_TWO, "settings", "two-shown")
    assert "Saved: digest." in set_one["text"] and "<#CONEDIGEST>" in json.dumps(set_one["blocks"])
    assert "Only this workspace's csip administrators" in refused["text"]
    assert "Saved: governance." in set_two["text"]
    assert "<#CTWOGOV>" in json.dumps(shown["blocks"]) and "CONEDIGEST" not in json.dumps(shown["blocks"])
    with two_councils() as store:
        assert store.workspace_settings(ONE).digest_channels == ("CONEDIGEST",)
        assert store.workspace_settings(ONE).governance_channel is None
        assert store.workspace_settings(TWO).digest_channels == ()
        assert store.workspace_settings(TWO).governance_channel == "CTWOGOV"


def test_the_tick_sends_each_workspace_its_own_messages_with_its_own_token(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    settings = several(database_url, slack)
    engine = connect(database_url)
    try:
        found = installs(settings, engine)
        assert found is not None
        install(found, ONE, ALICE, TOKENS[ONE])
        install(found, TWO, ADMIN_TWO, TOKENS[TWO])
        import_plan(two_councils, THREE, "A plan whose council never installed csip", "Red")
        with two_councils() as store:
            store.change_workspace_settings(ONE, lambda _: WorkspaceSettings(ONE, ("CONEDIGEST",)), NOW)
            store.change_workspace_settings(TWO, lambda _: WorkspaceSettings(TWO, ("CTWODIGEST",)), NOW)
            store.commit()
        served = InstalledWorkspaces(found.bot_token_of, settings.slack())
        ticks = run_due_everywhere(two_councils, served, settings.schedule(), MONDAY_NINE)
        again = run_due_everywhere(two_councils, served, settings.schedule(), MONDAY_NINE)
    finally:
        engine.dispose()
    assert set(ticks.reports) == {ONE, TWO} and ticks.not_installed == [THREE]
    assert not ticks.sends_failed and "sent" not in str(again).replace("nothing sent", "")
    posts = slack.calls_to("chat.postMessage")
    channels = {(c.params["channel"], c.token) for c in posts}
    assert ("CONEDIGEST", TOKENS[ONE]) in channels and ("CTWODIGEST", TOKENS[TWO]) in channels
    assert {token for _, token in channels} == set(TOKENS.values())  # the uninstalled plan sent nothing
    sent_with = {
        token: json.dumps([c.params for c in posts if c.token == token]) for token in TOKENS.values()
    }
    assert "The first council's strategy" in sent_with[TOKENS[ONE]]
    assert "The second council's strategy" not in sent_with[TOKENS[ONE]]
    assert "The second council's strategy" in sent_with[TOKENS[TWO]]
    assert "The first council's strategy" not in sent_with[TOKENS[TWO]]
    heads = [
        c.params for c in posts if c.params["channel"].endswith("DIGEST") and not c.params.get("thread_ts")
    ]
    digest = {head["channel"]: str(head["text"]) for head in heads}
    assert "Red 1, Amber 1, Green 1" in digest["CONEDIGEST"]
    assert "Red 0, Amber 2, Green 1" in digest["CTWODIGEST"]  # the second council's 5.3 is Amber


def test_a_workspace_whose_token_cannot_be_found_does_not_stop_the_others(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    settings = several(database_url, slack)

    def bot_token_of(team: str) -> str | None:
        if team == ONE:
            raise ConnectionError("the installations could not be read")
        return TOKENS[TWO]

    served = InstalledWorkspaces(bot_token_of, settings.slack())
    ticks = run_due_everywhere(two_councils, served, settings.schedule(), MONDAY_NINE)
    assert ticks.failed == [ONE] and list(ticks.reports) == [TWO] and ticks.sends_failed
    assert {c.token for c in slack.calls_to("chat.postMessage")} == {TOKENS[TWO]}


# --- settings ---------------------------------------------------------------------------------


def test_client_credentials_and_a_bot_token_together_are_refused(database_url: str) -> None:
    both = Settings(database_url=database_url, slack_bot_token="xoxb-1", slack_client_id="1",
                    slack_client_secret="2")  # fmt: skip
    with pytest.raises(SetupError, match="not both"):
        both.bot()
    with pytest.raises(SetupError, match="go together"):
        Settings(database_url=database_url, slack_client_id="1").bot()


def test_with_several_workspaces_there_is_no_default_plan_or_admin(database_url: str) -> None:
    settings = Settings(database_url=database_url, slack_client_id="1", slack_client_secret="2",
                        admins=frozenset({"UOPERATOR"}), digest_channels=("CALL",))  # fmt: skip
    assert settings.bot().access.default_team is None and settings.bot().access.admins == frozenset()
    assert settings.schedule().channels.digest == ()
    assert settings.ignored_with_several_workspaces() == ["CSIP_ADMINS", "CSIP_DIGEST_CHANNELS"]
    with pytest.raises(SetupError, match="--team"):
        settings.plan_team()


def test_the_doctor_checks_the_workspaces_own_installation(
    database_url: str,
    two_councils: StoreFactory,
    slack: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in [("CSIP_DATABASE_URL", database_url), ("SLACK_CLIENT_ID", "111.222"),
                        ("SLACK_CLIENT_SECRET", "client-secret"), ("SLACK_API_URL", slack.api_url),
                        ("SLACK_APP_TOKEN", "xapp-test")]:  # fmt: skip
        monkeypatch.setenv(name, value)
    engine = connect(database_url)
    try:
        found = installs(several(database_url, slack), engine)
        assert found is not None
        install(found, ONE, ALICE, TOKENS[ONE])
    finally:
        engine.dispose()
    capsys.readouterr()
    assert main(["doctor"]) == 1  # the install-wide checks, then: which workspace?
    out = capsys.readouterr().out
    assert "✓ connection: Socket Mode (SLACK_APP_TOKEN is set)" in out
    assert "✗ workspace: csip serves several: `csip --team T… doctor` checks one of them" in out
    assert main(["--team", ONE, "doctor"]) == 1  # no channels set for it yet
    out = capsys.readouterr().out
    assert f"✓ token: valid, for workspace {ONE}" in out.splitlines()
    assert "✗ channels: none set" in out
    assert main(["--team", TWO, "doctor"]) == 1
    assert (
        f"✗ token: csip is not installed in workspace {TWO}: open /slack/install" in capsys.readouterr().out
    )
    assert {c.token for c in slack.calls_to("auth.test")} == {TOKENS[ONE]}


def test_a_workspace_in_an_enterprise_grid_org_is_ticked_with_its_token(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    engine = connect(database_url)
    try:
        found = installs(several(database_url, slack), engine)
        assert found is not None
        found.installations.save(
            Installation(
                app_id="A1", enterprise_id="EGRID", team_id=ONE, bot_token=TOKENS[ONE], bot_id="BONE",
                bot_user_id="UBOT", user_id=ALICE,
            )
        )  # fmt: skip
        assert found.bot_token_of(ONE) == TOKENS[ONE]
        assert found.bot_token_of(TWO) is None
    finally:
        engine.dispose()


def test_a_workspace_that_removes_csip_is_forgotten_and_no_longer_ticked(
    database_url: str, two_councils: StoreFactory, slack: SlackStandIn
) -> None:
    with serving_several(database_url, two_councils, slack, one_at_a_time=True) as (http, found):
        install(found, ONE, ALICE, TOKENS[ONE])
        install(found, TWO, ADMIN_TWO, TOKENS[TWO])
        body = json.dumps({
            "type": "event_callback", "team_id": TWO, "api_app_id": "A1", "event_id": "EvGone",
            "event": {"type": "app_uninstalled"}, "event_time": 1504512000,
        }).encode()  # fmt: skip
        status, _ = http.send(body, {**http.signed_headers(body), "Content-Type": "application/json"})
        assert status == 200
        assert found.installations.find_bot(enterprise_id=None, team_id=TWO) is None
        assert found.installations.find_bot(enterprise_id=None, team_id=ONE) is not None
        served = InstalledWorkspaces(found.bot_token_of, several(database_url, slack).slack())
        ticks = run_due_everywhere(two_councils, served, several(database_url, slack).schedule(), MONDAY_NINE)
    assert list(ticks.reports) == [ONE] and ticks.not_installed == [TWO]
    assert {c.token for c in slack.calls_to("chat.postMessage")} == {TOKENS[ONE]}
