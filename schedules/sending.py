"""Posting a claimed delivery to Slack and recording what happened.

slack_sdk's retry handlers already wait out 429s (as long as Retry-After says) and retry 5xx and
dropped connections; what still fails comes back here and the delivery goes back to pending for
the next tick. Progress is saved after each part, so a retry never posts a part twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from plan.deliveries import Deliveries, Delivery

log = logging.getLogger(__name__)

# Errors that no retry will mend: the channel or person is gone, or the app lacks access.
PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_disabled",
    "cannot_dm_bot", "invalid_auth", "account_inactive", "token_revoked", "missing_scope",
    "restricted_action",
}  # fmt: skip


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


def send(client: WebClient, deliveries: Deliveries, delivery: Delivery, now: dt.datetime) -> Outcome:
    channel, ts = delivery.channel, delivery.slack_ts
    for index in range(delivery.parts_sent, len(delivery.messages)):
        payload = dict(delivery.messages[index])
        if index > 0 and channel and ts:
            payload.update(channel=channel, thread_ts=ts)
        try:
            response = _post(client, payload)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if code in PERMANENT:
                log.error("%s to %s failed for good: %s", delivery.key.kind, delivery.key.recipient, code)
                deliveries.give_up(delivery.id, code)
                return Outcome.FAILED
            log.warning("%s to %s will be retried: %s", delivery.key.kind, delivery.key.recipient, code)
            deliveries.retry_later(delivery.id, code)
            return Outcome.RETRY
        except Exception as error:  # network trouble after slack_sdk's own retries
            log.warning("%s to %s will be retried: %r", delivery.key.kind, delivery.key.recipient, error)
            deliveries.retry_later(delivery.id, type(error).__name__)
            return Outcome.RETRY
        if index == 0:
            channel, ts = str(response["channel"]), str(response["ts"])
        deliveries.part_sent(delivery.id, index + 1, channel or "", ts)
    deliveries.delivered(delivery.id, now)
    return Outcome.DELIVERED


def _post(client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage, or files_upload_v2 for a file; refused blocks go again as plain text."""
    if "upload" in payload:
        upload = payload["upload"]
        client.files_upload_v2(
            channel=payload["channel"],
            thread_ts=payload.get("thread_ts"),
            file=base64.b64decode(upload["content"]),
            filename=upload["filename"],
            title=upload["title"],
        )
        return {}
    try:
        return dict(client.chat_postMessage(**payload).data)  # type: ignore[arg-type]
    except SlackApiError as error:
        if error.response.get("error") != "invalid_blocks":
            raise
        log.error("Slack refused the blocks of a scheduled message; sending its text instead")
        plain = {k: v for k, v in payload.items() if k != "blocks"}
        return dict(client.chat_postMessage(**plain).data)  # type: ignore[arg-type]
