"""Controls on owners' reminders: Green, Amber, Red, Complete, Snooze, "still Amber", menus.

Green, Complete (Slack has asked to confirm), Snooze and the confirmation act at once; Amber and
Red open the update form to ask for the reason, and Complete from a menu opens it to confirm.
Either way the reminder then shows, in place, what was done.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import views
from bot.config import Access
from bot.home import HomeTab
from bot.reminder_buttons import COMPLETE_FORM, CONFIRM, MENU, REMINDER, SNOOZE_DAYS, mark_done, menu_choice
from bot.replies import once_saved, replying
from bot.requests import Workspace, caller_for, plan_for, workspace_of
from bot.work import Background
from plan.clock import Clock, london_date
from plan.model import Rag
from plan.parsing import uk_date
from plan.ports import PlanStore, StoreFactory
from plan.service import Change, confirm_rag, find_action, snooze, update_rag

log = logging.getLogger(__name__)


def mark_reminder(
    open_store: StoreFactory,
    client: WebClient,
    where: tuple[str, str],
    ref: str,
    what: str,
    shown: dict[str, Any] | None = None,
) -> None:
    """Replace an action's buttons on a reminder with what was done, in Slack and in its record.

    ``shown`` is the message as Slack sent it with the button press, used when the reminder has
    no delivery record (the record is kept so later presses build on earlier ones).
    """
    channel, ts = where
    with open_store() as store:
        delivery = store.deliveries.find_by_message(channel, ts)
        message = delivery.messages[0] if delivery else shown
        if message is None:
            return
        updated = mark_done(message, ref, what)
        if delivery:
            store.deliveries.replace_messages(delivery.id, [updated, *delivery.messages[1:]])
    client.chat_update(channel=channel, ts=ts, text=updated["text"], blocks=updated["blocks"])


@dataclass
class ReminderHandlers:
    access: Access
    open_store: StoreFactory
    clock: Clock
    background: Background
    home: HomeTab | None = None

    def on_button(
        self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
    ) -> None:
        ack()
        work = lambda: self._press(body, client, workspace_of(body, context))  # noqa: E731
        self.background.submit(lambda: replying(respond, work, "reminder_control"), context)

    def _press(self, body: dict[str, Any], client: WebClient, workspace: Workspace) -> None:
        pressed = body["actions"][0]
        choice, ref = pressed["action_id"].removeprefix(f"{REMINDER}_"), pressed.get("value", "")
        if choice == MENU:
            choice, ref = menu_choice(pressed["selected_option"]["value"])
        where = (body["container"]["channel_id"], body["container"]["message_ts"])
        if choice in ("amber", "red", COMPLETE_FORM):
            rag = Rag.COMPLETE if choice == COMPLETE_FORM else Rag(choice)
            self._ask_reason(client, body, workspace, ref, rag, where)
            return
        what = self._act(body["user"]["id"], workspace, ref, choice)
        shown = body.get("message", {})
        with once_saved(ref):
            mark_reminder(
                self.open_store,
                client,
                where,
                ref,
                what,
                {"text": shown.get("text", ""), "blocks": shown.get("blocks", [])},
            )
        if self.home is not None:
            self.home.refresh(client, [body["user"]["id"]], workspace)

    def _act(self, user_id: str, workspace: Workspace, ref: str, choice: str) -> str:
        now = self.clock()
        with self.open_store() as store:
            change = self._change(store, user_id, workspace, ref, now)
            if choice in SNOOZE_DAYS:
                until = london_date(now) + dt.timedelta(days=SNOOZE_DAYS[choice])
                snooze(store, change, until)
                return f"{ref}: snoozed until {uk_date(until)}."
            if choice == CONFIRM:
                action = confirm_rag(store, change).actions[ref]
                return (
                    f"{ref}: confirmed still {action.rag.label if action.rag else 'rated'} by <@{user_id}>."
                )
            rag = Rag(choice)
            update_rag(store, change, rag, "")
            return f"{ref}: marked {rag.label} by <@{user_id}>."

    def _change(
        self, store: PlanStore, user_id: str, workspace: Workspace, ref: str, now: dt.datetime
    ) -> Change:
        plan_id = plan_for(store, workspace, self.access)
        return Change(plan_id, caller_for(store, workspace, plan_id, user_id, self.access), ref, now)

    def _ask_reason(
        self,
        client: WebClient,
        body: dict[str, Any],
        workspace: Workspace,
        ref: str,
        rag: Rag,
        where: tuple[str, str],
    ) -> None:
        with self.open_store() as store:
            plan_id = plan_for(store, workspace, self.access)
            _, action = find_action(store, plan_id, ref)
        context = views.ModalContext(reminder_channel=where[0], reminder_ts=where[1])
        client.views_open(trigger_id=body["trigger_id"], view=views.update_modal([action], ref, context, rag))
