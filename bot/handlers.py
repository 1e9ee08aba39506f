"""What each `/csip` command, button and modal does: parse, call the plan, reply.

Listeners ack first and work after, so Slack always hears back within its 3 seconds. The one
exception is the modal's submission: its errors must go back in the ack itself, and the work
before it is one short database transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import commands as cmd
from bot import views
from bot.directory import SlackDirectory, identify, person_for_user, resolve_slack_id
from bot.reminder_handlers import mark_reminder
from bot.replies import replying, send_reply
from bot.requests import caller_for, plan_for, team_of
from csip.settings import Settings
from plan.clock import Clock, london_date
from plan.figures import plan_figures
from plan.model import ActionState, Person, PlanView, Rag
from plan.parsing import InputError, uk_date
from plan.ports import PlanStore
from plan.report import paragraph
from plan.rules import NoteProblem, is_overdue
from plan.service import Change, find_action, reassign, reschedule, update_rag
from reports.render import AsAt, render, report_as_at
from storage.store import StoreFactory

log = logging.getLogger(__name__)


@dataclass
class Handlers:
    settings: Settings
    open_store: StoreFactory
    directory: SlackDirectory
    clock: Clock

    # --- listeners ----------------------------------------------------------------------

    def on_csip(self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        replying(respond, lambda: self._answer_command(command, client))

    def on_open_update_button(
        self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        ref = body["actions"][0].get("value")
        replying(
            respond,
            lambda: self._open_modal(
                client,
                body["trigger_id"],
                body["user"]["id"],
                team_of(body),
                ref,
                body.get("response_url"),
            ),
        )

    def on_update_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        ref = values[views.MODAL_ACTION][views.MODAL_ACTION]["selected_option"]["value"]
        rag = Rag(values[views.MODAL_RAG][views.MODAL_RAG]["selected_option"]["value"])
        note = values[views.MODAL_NOTE][views.MODAL_NOTE].get("value") or ""
        try:
            reply = self._update(body["user"]["id"], team_of(body), cmd.UpdateRag(ref, rag, note))
        except InputError as error:
            block = views.MODAL_NOTE if isinstance(error, NoteProblem) else views.MODAL_ACTION
            ack(response_action="errors", errors={block: str(error)})
            return
        except Exception:
            log.exception("saving the update form failed")
            ack(response_action="errors", errors={views.MODAL_ACTION: "Something went wrong. Try again."})
            return
        ack()
        context = views.ModalContext.load(view.get("private_metadata", ""))
        if context.reminder_channel and context.reminder_ts:
            what = f"{ref}: marked {rag.label} by <@{body['user']['id']}>."
            where = (context.reminder_channel, context.reminder_ts)
            mark_reminder(self.open_store, self.directory.client, where, ref, what)
        if context.response_url:
            send_reply(WebhookClient(context.response_url).send, reply)

    # --- the work -----------------------------------------------------------------------

    def _answer_command(self, command: dict[str, Any], client: WebClient) -> views.Reply | None:
        parsed = cmd.parse_command(command.get("text", ""))
        user_id, team_id = command["user_id"], command.get("team_id", "")
        if isinstance(parsed, cmd.OpenUpdateModal):
            return self._open_modal(
                client,
                command["trigger_id"],
                user_id,
                team_id,
                parsed.ref,
                command.get("response_url"),
            )
        if isinstance(parsed, cmd.UpdateRag | cmd.Reschedule | cmd.Reassign):
            return self._update(user_id, team_id, parsed)
        return self._read(user_id, team_id, parsed)

    def _read(self, user_id: str, team_id: str, parsed: cmd.Command) -> views.Reply:
        if isinstance(parsed, cmd.Help):
            return views.help_reply(parsed.problem)
        today = london_date(self.clock())
        with self.open_store() as store:
            plan_id = self._plan_id(store, team_id)
            if isinstance(parsed, cmd.Report):  # reads the history as at its own date
                built = self._report(store, plan_id, parsed.as_at or today, today)
                return views.report_reply(paragraph(built.report), built.report.as_at)
            plan = store.load(plan_id)
            match parsed:
                case cmd.Show(ref):
                    action = find_action(plan, ref)
                    plan = self._with_owner_resolved(store, plan, action)
                    return views.action_card(action, plan, today)
                case cmd.Mine():
                    mine = self._actions_of(store, plan, user_id)
                    return views.action_list("Your actions", mine, plan, today)
                case cmd.Overdue():
                    late = [a for a in plan.actions.values() if is_overdue(a, today)]
                    return views.action_list("Overdue actions", late, plan, today)
                case cmd.Summary(None):
                    return views.summary_reply(plan_figures(plan.actions, today), "The plan")
                case cmd.Summary(number) if number is not None:
                    return self._priority_summary(plan, number, today)
        return views.help_reply()

    def _update(self, user_id: str, team_id: str, parsed: cmd.Command) -> views.Reply:
        now = self.clock()
        with self.open_store() as store:
            plan_id = self._plan_id(store, team_id)
            caller = caller_for(store, self.directory, plan_id, user_id, self.settings)
            match parsed:
                case cmd.UpdateRag(ref, rag, note):
                    plan = update_rag(store, Change(plan_id, caller, ref, now), rag, note)
                    what = f"{ref} is now {rag.label}."
                case cmd.Reschedule(ref, due, reason):
                    plan = reschedule(store, Change(plan_id, caller, ref, now), due, reason)
                    what = f"{ref} has a new due date."
                case cmd.Reassign(ref, new_user):

                    def new_owner() -> Person:
                        owner = person_for_user(store, self.directory, plan_id, new_user)
                        if owner is None:
                            raise InputError("Slack could not tell me who that is. Please try again.")
                        return owner

                    plan = reassign(store, Change(plan_id, caller, ref, now), new_owner)
                    what = f"{ref} now belongs to <@{new_user}>."
                case _:
                    raise InputError("That is not a change csip can make.")
            action = plan.actions[find_action(plan, ref).ref]
            return views.updated_reply(action, plan, london_date(now), what)

    def _open_modal(
        self,
        client: WebClient,
        trigger_id: str,
        user_id: str,
        team_id: str,
        ref: str | None,
        response_url: str | None,
    ) -> views.Reply | None:
        with self.open_store() as store:
            plan = store.load(self._plan_id(store, team_id))
            choices = self._actions_of(store, plan, user_id)
        if ref is not None:
            chosen = find_action(plan, ref)
            choices = [chosen, *(a for a in choices if a.ref != chosen.ref)]
        if not choices:
            raise InputError("You have no actions in the plan. Try `/csip update <ref> <rag> <note>`.")
        modal = views.update_modal(choices, ref, views.ModalContext(response_url))
        client.views_open(trigger_id=trigger_id, view=modal)
        return None

    def on_send_report_docx(
        self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        as_at = dt.date.fromisoformat(body["actions"][0]["value"])
        replying(respond, lambda: self._send_docx(client, body["user"]["id"], team_of(body), as_at))

    def _send_docx(self, client: WebClient, user_id: str, team_id: str, as_at: dt.date) -> views.Reply:
        """The Word version, uploaded to the user's direct messages with the app."""
        with self.open_store() as store:
            built = self._report(store, self._plan_id(store, team_id), as_at, london_date(self.clock()))
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            file=render(built, "docx"),
            filename=f"csip-report-{as_at.isoformat()}.docx",
            title=f"Improvement plan as at {uk_date(as_at)}",
        )
        return views.notice_reply("The Word version is in your direct messages with csip.")

    @staticmethod
    def _report(store: PlanStore, plan_id: int, as_at: dt.date, today: dt.date) -> AsAt:
        if as_at > today:
            raise InputError(f"{uk_date(as_at)} is in the future: a report can be as at today or earlier.")
        return report_as_at(store, plan_id, as_at)

    # --- helpers ------------------------------------------------------------------------

    def _plan_id(self, store: PlanStore, team_id: str) -> int:
        return plan_for(store, team_id, self.settings)

    def _actions_of(self, store: PlanStore, plan: PlanView, user_id: str) -> list[ActionState]:
        person = identify(store, self.directory, plan.plan_id, user_id)
        if person is None:
            raise InputError("I can't find you in the plan: your Slack e-mail is not an owner's.")
        return [
            action
            for action in plan.actions.values()
            if action.owner_id == person.id or person.id in action.record.delegate_ids
        ]

    def _with_owner_resolved(self, store: PlanStore, plan: PlanView, action: ActionState) -> PlanView:
        owner = plan.person(action.owner_id)
        if owner is None or owner.slack_user_id:
            return plan
        try:
            resolved = resolve_slack_id(store, self.directory, plan.plan_id, owner)
        except SlackApiError:  # the reply still goes, naming the owner instead of mentioning
            return plan
        return PlanView(plan.plan_id, plan.priorities, {**plan.people, owner.id: resolved}, plan.actions)

    def _priority_summary(self, plan: PlanView, number: int, today: dt.date) -> views.Reply:
        priority = plan.priorities.get(number)
        if priority is None:
            raise InputError(f"There is no priority {number}; the plan has {len(plan.priorities)}.")
        actions = {ref: a for ref, a in plan.actions.items() if a.priority == number}
        return views.summary_reply(plan_figures(actions, today), f"Priority {number} {priority.title}")
