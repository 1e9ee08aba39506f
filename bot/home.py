"""The App Home tab: a person's own actions, and for leads and admins the plan's headline.

Built from plain data, pure: what is overdue (worst first) and due in the next two weeks, then
every other open action of theirs, each with an update button; for a priority lead or an
admin, the RAG figures and the Reds. Within Slack's 100 blocks whatever the plan's size.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import context, packed_lines, person_name, rag_badge, rag_line, section
from bot.config import Access
from bot.directory import identify
from bot.mrkdwn import clip, escape
from bot.requests import Workspace, is_admin, plan_for
from bot.views import OPEN_UPDATE_MODAL
from plan.clock import Clock, london_date
from plan.errors import CsipError
from plan.figures import PlanFigures, figures_from_tally
from plan.model import ActionState, PlanView, Rag, Shortlist
from plan.parsing import due_text, plural, uk_date
from plan.ports import StoreFactory, Which
from plan.rules import is_overdue, overdue_text, working_days_overdue, worst_first

log = logging.getLogger(__name__)
MAX_HOME_BLOCKS = 100
HEADLINE_REDS = 10
WITH_BUTTONS = 15  # actions shown with their own update button; the rest are listed
SOON = dt.timedelta(days=14)


@dataclass(frozen=True)
class Headline:
    """What a lead or an admin sees of the whole plan."""

    figures: PlanFigures
    reds: Shortlist


def home_view(name: str | None, mine: PlanView, today: dt.date, headline: Headline | None) -> dict[str, Any]:
    blocks: list[Block] = [HeaderBlock(text="The improvement plan")]
    if name is None:
        blocks.append(
            section("Your Slack e-mail is not an owner's in the plan, so there is nothing of yours here.")
        )
    else:
        blocks += _mine(mine, today)
    if headline is not None:
        blocks += [DividerBlock(), *_headline(headline, today)]
    blocks.append(context(f"As at {uk_date(today)}. `/csip help` for everything csip answers to."))
    return {"type": "home", "blocks": [block.to_dict() for block in blocks[:MAX_HOME_BLOCKS]]}


def _mine(mine: PlanView, today: dt.date) -> list[Block]:
    open_actions = [a for a in mine.actions.values() if a.rag is not Rag.COMPLETE]
    overdue = worst_first(a for a in open_actions if is_overdue(a, today))
    soon = sorted(
        (a for a in open_actions if a.due_date and today <= a.due_date <= today + SOON),
        key=lambda a: a.due_date or today,
    )
    above = {a.ref for a in (*overdue, *soon)}
    rest = [a for a in worst_first(open_actions) if a.ref not in above]
    blocks: list[Block] = [
        section(
            f"*Your actions:* {plural(len(open_actions), 'open action')}, "
            f"{len(overdue)} overdue, {len(soon)} due in the next 14 days."
        )
    ]
    shown = 0
    for title, actions in (
        ("Overdue", overdue),
        ("Due in the next 14 days", soon),
        ("Your other actions", rest),
    ):
        if not actions:
            continue
        blocks.append(section(f"*{title}*"))
        with_button = actions[: max(WITH_BUTTONS - shown, 0)]
        blocks += [_action(a, today) for a in with_button]
        shown += len(with_button)
        listed = [f"{rag_badge(a.rag)} · *{escape(a.ref)}* {escape(clip(a.record.description, 80))}"
                  for a in actions[len(with_button):]]  # fmt: skip
        if listed:
            blocks += packed_lines(listed, 3, total=len(listed))
    return blocks


def _action(action: ActionState, today: dt.date) -> Block:
    late = working_days_overdue(action, today)
    when = overdue_text(late) if late else f"due {due_text(action.due_date)}"
    what = escape(clip(action.record.description, 150))
    return SectionBlock(
        text=MarkdownTextObject(text=f"{rag_badge(action.rag)} · *{escape(action.ref)}* {what}\n{when}"),
        accessory=ButtonElement(text="Update", action_id=OPEN_UPDATE_MODAL, value=action.ref),
    )


def _headline(headline: Headline, today: dt.date) -> Sequence[Block]:
    figures, reds = headline.figures, headline.reds
    blocks: list[Block] = [
        section(
            f"*The plan:* {figures.due} of {plural(figures.total, 'action')} due, "
            f"{figures.overdue} overdue.\n{rag_line(figures.rag)}"
        )
    ]
    if reds.actions:
        lines = [
            f"{rag_badge(a.rag)} · *{escape(a.ref)}* {escape(clip(a.record.description, 100))} · "
            f"{person_name(reds.view, a.owner_id)}"
            for a in reds.actions
        ]
        heading = section(f"*Red actions* ({reds.total}), the longest overdue first")
        blocks += [heading, *packed_lines(lines, 3, total=reds.total)]
    return blocks


@dataclass(frozen=True)
class HomeTab:
    """Publishes a person's App Home: when they open it, and after a change made through csip
    (theirs, or to one of their actions), so that it never shows what has since changed."""

    access: Access
    open_store: StoreFactory
    clock: Clock

    def publish(self, client: WebClient, user_id: str, workspace: Workspace) -> None:
        today = london_date(self.clock())
        with self.open_store() as store:
            try:
                plan_id = plan_for(store, workspace, self.access)
            except CsipError as error:
                view = {"type": "home", "blocks": [section(escape(str(error))).to_dict()]}
                client.views_publish(user_id=user_id, view=view)
                return
            person = identify(store, workspace.directory, plan_id, user_id)
            mine = (
                store.select(plan_id, Which(person_id=person.id)) if person else PlanView(plan_id, {}, {}, {})
            )
            leads = {priority.lead_id for priority in store.priorities(plan_id).values()}
            headline = None
            leading = person is not None and person.id in leads
            if leading or is_admin(store, workspace, user_id, self.access):
                figures = figures_from_tally(store.tally(plan_id, today), today)
                headline = Headline(figures, store.shortlist(plan_id, Which(rag=Rag.RED), HEADLINE_REDS))
        client.views_publish(
            user_id=user_id, view=home_view(person.name if person else None, mine, today, headline)
        )

    def refresh(self, client: WebClient, user_ids: Iterable[str | None], workspace: Workspace) -> None:
        """After a change: each person's home again; a failure is logged, never shown."""
        for user_id in {u for u in user_ids if u}:
            try:
                self.publish(client, user_id, workspace)
            except Exception:
                log.warning("could not refresh the App Home of %s", user_id, exc_info=True)
