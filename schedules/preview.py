"""`csip digest --preview` and `csip exemption --preview`: the calls, built but not made."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace
from typing import Any

from plan.calendar import WorkingCalendar
from plan.errors import SetupError
from plan.ports import StoreFactory
from plan.service import existing_plan
from schedules.config import Schedule, channels_for
from schedules.planning import DIGEST, EXEMPTION, Planner, latest_slots


def preview(
    open_store: StoreFactory, schedule: Schedule, kind: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """What the latest slot of ``kind`` at ``now`` would send, call by call, as it would be sent:
    each ``chat.postMessage`` with its payload (the replies in a thread carry the first post's
    ts, which Slack gives only when it is posted), each file with its name, title and size.

    Without Slack, owners not yet matched to a Slack user show as unreachable.
    """
    calendar = WorkingCalendar(schedule.send_time)
    with open_store() as store:
        plan_id = existing_plan(store, schedule.team_id)
        own = channels_for(store.workspace_settings(schedule.team_id), schedule.channels)
        schedule = replace(schedule, channels=own)
        if kind == DIGEST and not own.digest:
            raise SetupError(
                "No digest channel is set: `/csip settings digest #channel`, or CSIP_DIGEST_CHANNELS."
            )
        if kind == EXEMPTION and not own.governance:
            raise SetupError(
                "No governance channel is set: `/csip settings governance #channel` "
                "or CSIP_GOVERNANCE_CHANNEL."
            )
        slot = next(slot for slot in latest_slots(now, calendar, schedule) if slot.kind == kind)
        deliveries = Planner(schedule, calendar, directory=None).plan(store, plan_id, slot)
    return [
        _call(message, index) for delivery in deliveries for index, message in enumerate(delivery.messages)
    ]


FIRST_POST_TS = "<ts of the first post>"


def _call(message: dict[str, Any], index: int) -> dict[str, Any]:
    thread = {"thread_ts": FIRST_POST_TS} if index else {}
    if "upload" in message:
        upload = message["upload"]
        size = len(base64.b64decode(upload["content"]))
        return {"method": "files_upload_v2", "channel": message["channel"], **thread,
                "filename": upload["filename"], "title": upload["title"], "bytes": size}  # fmt: skip
    return {"method": "chat.postMessage", "payload": {**message, **thread}}
