"""What each `/csip` command, button and modal does: parse, call the plan, reply.

Every listener acks at once and hands its work to ``bot.work.Background``: nothing before the
ack waits on the database or Slack. The reply follows through the response URL. The update
form's submission checks what it can without either (a missing or overlong reason) in its ack,
shows "Saving…" and then the outcome in the same modal.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import commands as cmd
from bot import views
from bot.config import Access
from bot.directory import identify, person_for_user, resolve_slack_id
from bot.home import HomeTab
from bot.metrics import HANDLED
from bot.mrkdwn import escape
from bot.reminder_handlers import mark_reminder
from bot.replies import once_saved, replying, send_reply
from bot.requests import Workspace, caller_for, is_admin, plan_for, plan_team, workspace_of
from bot.work import Background
from plan.clock import Clock, london_date
from plan.errors import ChangeSaved, CsipError, InputError, SlackError
from plan.figures import figures_from_tally
from plan.model import ActionState, Person, PlanView, Rag
from plan.parsing import uk_date
from plan.ports import PlanStore, StoreFactory, Which
from plan.rules import NoteProblem, check_not_future, check_note
from plan.service import Change, find_action, reassign, reschedule, update_rag
from reports.prose import paragraph
from reports.render import AsAt, render, report_as_at

log = logging.getLogger(__name__)


@dataclass
class Handlers:
    access: Access
    open_store: StoreFactory
    clock: Clock
    background: Background
    home: HomeTab | None = None

    # --- listeners: ack, then hand the work on --------------------------------------------

    def on_home_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Events need no ack of their own (Bolt sends it); the tab is built after it."""
        if self.home is None or event.get("tab", "home") != "home":
            return
        home, workspace = self.home, workspace_of(body, context)
        self.background.submit(lambda: home.publish(client, event["user"], workspace), context)

    def on_csip(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        ack()
        workspace = workspace_of(command, context)
        self.background.submit(lambda: self._reply_then_refresh(command, client, respond, workspace), context)

    def on_open_update_button(
        self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        ack()
        ref = body["actions"][0].get("value")
        work = lambda: self._open_modal(  # noqa: E731
            client,
            body["trigger_id"],
            body["user"]["id"],
            workspace_of(body, context),
            ref,
            body.get("response_url"),
        )
        self.background.submit(lambda: replying(respond, work, "update_button"), context)

    def on_update_submitted(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        values = view["state"]["values"]
        ref = values[views.MODAL_ACTION][views.MODAL_ACTION]["selected_option"]["value"]
        rag = Rag(values[views.MODAL_RAG][views.MODAL_RAG]["selected_option"]["value"])
        note = values[views.MODAL_NOTE][views.MODAL_NOTE].get("value") or ""
        try:
            check_note(rag, note)  # plain rules: the form can still show this against the reason box
        except NoteProblem as error:
            ack(response_action="errors", errors={views.MODAL_NOTE: str(error)})
            return
        ack(response_action="update", view=views.outcome_modal(f"Saving {escape(ref)}…"))
        update = cmd.UpdateRag(ref, rag, note)
        workspace = workspace_of(body, context)
        self.background.submit(lambda: self._save_form(client, body, view, workspace, update), context)

    def on_send_report_docx(
        self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        ack()
        as_at = dt.date.fromisoformat(body["actions"][0]["value"])
        workspace = workspace_of(body, context)
        work = lambda: self._send_docx(client, body["user"]["id"], workspace, as_at)  # noqa: E731
        self.background.submit(lambda: replying(respond, work, "report_button"), context)

    def _save_form(
        self,
        client: WebClient,
        body: dict[str, Any],
        view: dict[str, Any],
        workspace: Workspace,
        update: cmd.UpdateRag,
    ) -> None:
        """Save the form's update; the modal then says what happened (or why nothing did)."""
        user_id = body["user"]["id"]
        try:
            reply = self._update(user_id, workspace, update)
        except CsipError as error:
            HANDLED.labels("update_form", "refused").inc()
            _show_in_form(client, view, f":warning: {escape(str(error))}")
            return
        except ChangeSaved:
            HANDLED.labels("update_form", "saved_not_shown").inc()
            log.exception("an update from the form was saved; reading it back failed")
            ref = escape(update.ref)
            saved = f"{ref}: marked {update.rag.label}. Saved; `/csip show {ref}` shows it as it stands."
            _show_in_form(client, view, f":white_check_mark: {saved}")
            return
        except Exception:
            HANDLED.labels("update_form", "error").inc()
            log.exception("saving the update form failed")
            message = "Something went wrong on csip's side, so nothing was changed. Please try again."
            _show_in_form(client, view, f":warning: {message}")
            return
        HANDLED.labels("update_form", "ok").inc()
        what = f"{escape(update.ref)}: marked {update.rag.label} by <@{user_id}>."
        _show_in_form(client, view, f":white_check_mark: {what}")
        try:  # the form says it was saved: what follows may fail without unsaying it
            context = views.ModalContext.load(view.get("private_metadata", ""))
            if context.reminder_channel and context.reminder_ts:
                where = (context.reminder_channel, context.reminder_ts)
                mark_reminder(self.open_store, client, where, update.ref, what)
            if context.response_url:
                send_reply(WebhookClient(context.response_url).send, reply)
        except Exception:
            log.exception("an update from the form was saved; marking the reminder or replying failed")
        self._refresh_homes(client, workspace, user_id, update.ref)

    # --- the work -----------------------------------------------------------------------

    def _reply_then_refresh(
        self, command: dict[str, Any], client: WebClient, respond: Respond, workspace: Workspace
    ) -> None:
        """The reply first; then, if the command changed an action, the App Homes it shows on."""
        changed: list[str] = []
        kind = f"command_{cmd.verb_of(command.get('text', ''))}"
        replying(respond, lambda: self._answer_command(command, client, workspace, changed), kind)
        for ref in changed:
            self._refresh_homes(client, workspace, command["user_id"], ref)

    def _answer_command(
        self, command: dict[str, Any], client: WebClient, workspace: Workspace, changed: list[str]
    ) -> views.Reply | None:
        parsed = cmd.parse_command(command.get("text", ""))
        user_id = command["user_id"]
        if isinstance(parsed, cmd.OpenUpdateModal):
            return self._open_modal(
                client,
                command["trigger_id"],
                user_id,
                workspace,
                parsed.ref,
                command.get("response_url"),
            )
        if isinstance(parsed, cmd.ShowSettings | cmd.ChangeSetting):
            return self._settings(user_id, workspace, parsed)
        if isinstance(parsed, cmd.UpdateRag | cmd.Reschedule | cmd.Reassign):
            reply = self._update(user_id, workspace, parsed)
            changed.append(parsed.ref)
            return reply
        return self._read(user_id, workspace, parsed)

    def _read(self, user_id: str, workspace: Workspace, parsed: cmd.Command) -> views.Reply:
        """Each question reads what it is about, never the whole plan."""
        if isinstance(parsed, cmd.Help):
            return views.help_reply(parsed.problem)
        today = london_date(self.clock())
        with self.open_store() as store:
            plan_id = self._plan_id(store, workspace)
            match parsed:
                case cmd.Report(as_at):  # reads the plan as at its own date
                    built = self._report(store, plan_id, as_at or today, today)
                    return views.report_reply(paragraph(built.report), built.report.as_at)
                case cmd.Show(ref):
                    plan, action = find_action(store, plan_id, ref)
                    plan = self._with_owner_resolved(store, workspace, plan, action)
                    return views.action_card(action, plan, today)
                case cmd.Mine():
                    plan = self._plan_of(store, workspace, plan_id, user_id)
                    return views.action_list("Your actions", list(plan.actions.values()), plan, today)
                case cmd.Overdue():
                    plan = store.select(plan_id, Which(overdue_on=today))
                    overdue = list(plan.actions.values())
                    return views.action_list(
                        "Overdue actions, worst first", overdue, plan, today, worst_first=True
                    )
                case cmd.Summary(None):
                    return views.summary_reply(
                        figures_from_tally(store.tally(plan_id, today), today), "The plan"
                    )
                case cmd.Summary(number) if number is not None:
                    return self._priority_summary(store, plan_id, number, today)
        return views.help_reply()

    def _update(self, user_id: str, workspace: Workspace, parsed: cmd.Command) -> views.Reply:
        now = self.clock()
        with self.open_store() as store:
            plan_id = self._plan_id(store, workspace)
            caller = caller_for(store, workspace, plan_id, user_id, self.access)
            match parsed:
                case cmd.UpdateRag(ref, rag, note):
                    plan = update_rag(store, Change(plan_id, caller, ref, now), rag, note)
                    what = f"{ref} is now {rag.label}."
                case cmd.Reschedule(ref, due, reason):
                    plan = reschedule(store, Change(plan_id, caller, ref, now), due, reason)
                    what = f"{ref} has a new due date."
                case cmd.Reassign(ref, new_user):

                    def new_owner() -> Person:
                        owner = person_for_user(store, workspace.directory, plan_id, new_user)
                        if owner is None:
                            raise SlackError("Slack could not tell me who that is. Please try again.")
                        return owner

                    plan = reassign(store, Change(plan_id, caller, ref, now), new_owner)
                    what = f"{ref} now belongs to <@{new_user}>."
                case _:
                    raise InputError("That is not a change csip can make.")
            with once_saved(parsed.ref):
                (action,) = plan.actions.values()
                return views.updated_reply(action, plan, london_date(now), what)

    def _settings(
        self, user_id: str, workspace: Workspace, parsed: cmd.ShowSettings | cmd.ChangeSetting
    ) -> views.Reply:
        """Anyone may see where the workspace's posts go; only its administrators change it."""
        with self.open_store() as store:
            team = plan_team(store, workspace, self.access)
            settings = store.workspace_settings(team)
            falls_back = team == self.access.default_team
            if isinstance(parsed, cmd.ShowSettings):
                return views.settings_reply(settings, falls_back)
            if not is_admin(store, workspace, user_id, self.access):
                raise InputError("Only this workspace's csip administrators can change its settings.")
            change = parsed
            settings = store.change_workspace_settings(
                team, lambda current: current.changed(change.setting, change.ids), self.clock()
            )
            still_admin = is_admin(store, workspace, user_id, self.access)
            store.commit()
        log.info("workspace %s: %s set by %s", team, parsed.setting, user_id)
        saved = f"Saved: {parsed.setting}."
        if not still_admin:
            saved += " You are no longer one of this workspace's administrators."
        return views.settings_reply(settings, falls_back, saved)

    def _open_modal(
        self,
        client: WebClient,
        trigger_id: str,
        user_id: str,
        workspace: Workspace,
        ref: str | None,
        response_url: str | None,
    ) -> views.Reply | None:
        with self.open_store() as store:
            plan_id = self._plan_id(store, workspace)
            choices = list(self._plan_of(store, workspace, plan_id, user_id).actions.values())
            if ref is not None:
                _, chosen = find_action(store, plan_id, ref)
                choices = [chosen, *(a for a in choices if a.ref != chosen.ref)]
        if not choices:
            raise InputError("You have no actions in the plan. Try `/csip update <ref> <rag> <note>`.")
        modal = views.update_modal(choices, ref, views.ModalContext(response_url))
        client.views_open(trigger_id=trigger_id, view=modal)
        return None

    def _send_docx(
        self, client: WebClient, user_id: str, workspace: Workspace, as_at: dt.date
    ) -> views.Reply:
        """The Word version, uploaded to the user's direct messages with the app."""
        with self.open_store() as store:
            built = self._report(
                store, self._plan_id(store, workspace), as_at, london_date(self.clock()), "docx"
            )
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file=render(built, "docx"),
            filename=f"csip-report-{as_at.isoformat()}.docx",
            title=f"Improvement plan as at {uk_date(as_at)}",
        )
        return views.notice_reply("The Word version is in your direct messages with csip.")

    @staticmethod
    def _report(store: PlanStore, plan_id: int, as_at: dt.date, today: dt.date, fmt: str = "text") -> AsAt:
        check_not_future(as_at, today, "a report's date")
        return report_as_at(store, plan_id, as_at, fmt=fmt)

    # --- helpers ------------------------------------------------------------------------

    def _refresh_homes(self, client: WebClient, workspace: Workspace, user_id: str, ref: str) -> None:
        """After a change, the App Home of whoever made it and of the action's owner. Runs after
        the reply, in the same work; a failure is logged and changes nothing already said."""
        if self.home is None:
            return
        try:
            with self.open_store() as store:
                plan = store.select(plan_for(store, workspace, self.access), Which(refs=frozenset({ref})))
            owners = [plan.person(a.owner_id) for a in plan.actions.values()]
            self.home.refresh(client, [user_id, *(o.slack_user_id for o in owners if o)], workspace)
        except Exception:
            log.warning("could not refresh the App Home after a change to %s", ref, exc_info=True)

    def _plan_id(self, store: PlanStore, workspace: Workspace) -> int:
        return plan_for(store, workspace, self.access)

    def _plan_of(self, store: PlanStore, workspace: Workspace, plan_id: int, user_id: str) -> PlanView:
        """The caller's actions (owned or delegated), as they stand."""
        person = identify(store, workspace.directory, plan_id, user_id)
        if person is None:
            raise InputError("I can't find you in the plan: your Slack e-mail is not an owner's.")
        return store.select(plan_id, Which(person_id=person.id))

    def _with_owner_resolved(
        self, store: PlanStore, workspace: Workspace, plan: PlanView, action: ActionState
    ) -> PlanView:
        owner = plan.person(action.owner_id)
        if owner is None or owner.slack_user_id:
            return plan
        try:
            resolved = resolve_slack_id(store, workspace.directory, plan.plan_id, owner)
        except SlackApiError:  # the reply still goes, naming the owner instead of mentioning
            return plan
        return PlanView(plan.plan_id, plan.priorities, {**plan.people, owner.id: resolved}, plan.actions)

    def _priority_summary(self, store: PlanStore, plan_id: int, number: int, today: dt.date) -> views.Reply:
        priorities = store.priorities(plan_id)
        priority = priorities.get(number)
        if priority is None:
            raise InputError(f"There is no priority {number}; the plan has {len(priorities)}.")
        figures = figures_from_tally(store.tally(plan_id, today, priority=number), today)
        return views.summary_reply(figures, f"Priority {number} {priority.title}")


def _show_in_form(client: WebClient, view: dict[str, Any], mrkdwn: str) -> None:
    """Replace "Saving…" with the outcome. If Slack refuses (the form was closed meanwhile), the
    outcome still stands and is still shown where the form was opened from."""
    try:
        client.views_update(view_id=view["id"], view=views.outcome_modal(mrkdwn))
    except SlackApiError as error:
        log.warning("could not show the form's outcome: %s", error.response.get("error"))
