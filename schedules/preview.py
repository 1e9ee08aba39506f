"""`csip digest --preview` and `csip exemption --preview`: the payloads, built but not sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plan.calendar import WorkingCalendar
from plan.errors import SetupError
from plan.ports import StoreFactory
from plan.service import existing_plan
from schedules.config import Schedule
from schedules.planning import DIGEST, EXEMPTION, Planner, latest_slots


def preview(
    open_store: StoreFactory, schedule: Schedule, kind: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """What the latest slot of ``kind`` at ``now`` posts: channel, text and blocks per message
    (the digest's chart, a file upload, is left out).

    Without Slack, owners not yet matched to a Slack user show as unreachable.
    """
    if kind == DIGEST and not schedule.channels.digest:
        raise SetupError("CSIP_DIGEST_CHANNELS is not set: name the channel ids the digest goes to.")
    if kind == EXEMPTION and not schedule.channels.governance:
        raise SetupError("CSIP_GOVERNANCE_CHANNEL is not set: name the channel id for the report.")
    calendar = WorkingCalendar(schedule.send_time)
    slot = next(slot for slot in latest_slots(now, calendar, schedule) if slot.kind == kind)
    with open_store() as store:
        plan_id = existing_plan(store, schedule.team_id)
        deliveries = Planner(schedule, calendar, directory=None).plan(store, plan_id, slot)
    return [
        {"channel": message["channel"], "text": message["text"], "blocks": message["blocks"],
         **({"in_thread": True} if index else {})}
        for delivery in deliveries
        for index, message in enumerate(delivery.messages)
        if "upload" not in message  # files are not chat.postMessage payloads
    ]  # fmt: skip
