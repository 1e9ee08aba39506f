"""Posting a claimed delivery to Slack and recording what happened.

slack_sdk's retry handlers already wait out 429s (as long as Retry-After says) and retry 5xx and
connections that never opened; what still fails comes back here and the delivery goes back to
pending for the next tick. Progress is saved after each part, so a retry never posts a part
twice.

A post can also land without its answer reaching csip: Slack answers after the client's
timeout, or the process dies between the post and saving its progress. So each part is posted
with a key in its message metadata, and the delivery is marked unsure before the post; whoever
sends an unsure delivery next first looks for that key in the conversation (or the file in the
thread) since the first try, and records what it finds instead of posting again.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterable
from enum import StrEnum
from http.client import RemoteDisconnected
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.log_context import DELIVERY_ID
from plan.clock import Clock
from plan.deliveries import Deliveries, Delivery

log = logging.getLogger(__name__)

# Errors that no retry will mend: the channel or person is gone, or the app lacks access.
PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_disabled",
    "cannot_dm_bot", "invalid_auth", "account_inactive", "token_revoked", "missing_scope",
    "restricted_action",
}  # fmt: skip
# Failures after the request was sent: Slack may have posted the message.
UNSURE = (TimeoutError, RemoteDisconnected, ConnectionResetError)
METADATA_TYPE = "csip_delivery"
LOOK_BACK = dt.timedelta(minutes=1)  # Slack's clock and ours may differ a little
PAGES_LOOKED_AT = 5  # of 200 messages: a busy channel's hour, at most


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    UNKNOWN = "unknown"  # the post may have landed: looked for before it is posted again
    FAILED = "failed"
    TAKEN_OVER = "taken over"  # the claim lapsed and another sender has it


def send(client: WebClient, deliveries: Deliveries, delivery: Delivery, clock: Clock) -> Outcome:
    """Post what is left of ``delivery``; every log line of it carries its id."""
    token = DELIVERY_ID.set(delivery.id)
    try:
        return _send(client, deliveries, delivery, clock)
    finally:
        DELIVERY_ID.reset(token)


def _send(client: WebClient, deliveries: Deliveries, delivery: Delivery, clock: Clock) -> Outcome:
    channel, ts = delivery.channel, delivery.slack_ts
    unsure_since = delivery.unsure_since
    for index in range(delivery.parts_sent, len(delivery.messages)):
        payload = dict(delivery.messages[index])
        if index > 0 and channel and ts:
            payload.update(channel=channel, thread_ts=ts)
        who = f"{delivery.key.kind} to {delivery.key.recipient}"
        try:
            found = _find_posted(client, delivery, index, payload, unsure_since) if unsure_since else None
            if found is not None:
                log.info("%s: part %d was already posted; not posting it again", who, index + 1)
                response = found
            elif not deliveries.posting(delivery, clock()):
                log.warning("%s: the claim lapsed and another sender took it over", who)
                return Outcome.TAKEN_OVER
            else:
                response = _post(client, payload, _metadata(delivery, index))
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if code in PERMANENT:
                log.error("%s failed for good: %s", who, code)
                deliveries.give_up(delivery.id, code)
                return Outcome.FAILED
            log.warning("%s will be retried: %s", who, code)
            deliveries.retry_later(delivery.id, code, unsure=unsure_since is not None)
            return Outcome.RETRY
        except UNSURE as error:
            log.warning("%s: no answer from Slack (%s); it will be looked for, then retried", who, error)
            deliveries.retry_later(delivery.id, f"unknown: {type(error).__name__}", unsure=True)
            return Outcome.UNKNOWN
        except Exception as error:  # the request never reached Slack, after slack_sdk's retries
            log.warning("%s will be retried: %r", who, error)
            deliveries.retry_later(delivery.id, type(error).__name__, unsure=unsure_since is not None)
            return Outcome.RETRY
        if index == 0:
            channel, ts = str(response["channel"]), str(response["ts"])
        deliveries.part_sent(delivery.id, index + 1, channel or "", ts)
        unsure_since = None
    deliveries.delivered(delivery.id, clock())
    return Outcome.DELIVERED


def _metadata(delivery: Delivery, index: int) -> dict[str, Any]:
    """What a posted part carries so that it can be found again: the delivery and the part."""
    return {"event_type": METADATA_TYPE, "event_payload": {"delivery": delivery.id, "part": index}}


def _post(client: WebClient, payload: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
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
        return dict(client.chat_postMessage(**payload, metadata=metadata).data)  # type: ignore[arg-type]
    except SlackApiError as error:
        if error.response.get("error") != "invalid_blocks":
            raise
        log.error("Slack refused the blocks of a scheduled message; sending its text instead")
        plain = {k: v for k, v in payload.items() if k != "blocks"}
        return dict(client.chat_postMessage(**plain, metadata=metadata).data)  # type: ignore[arg-type]


def _find_posted(
    client: WebClient, delivery: Delivery, index: int, payload: dict[str, Any], since: dt.datetime
) -> dict[str, Any] | None:
    """The part as Slack holds it if an earlier try posted it: {"channel", "ts"}, else None.

    The first part is looked for in the conversation's history (a DM's conversation is opened
    to learn its id); a later one in the thread, by its metadata or, for a file, its name."""
    oldest = f"{(since - LOOK_BACK).timestamp():.6f}"
    if index == 0:
        channel = _conversation(client, str(payload["channel"]))
        pages = client.conversations_history(
            channel=channel, oldest=oldest, include_all_metadata=True, limit=200
        )
    else:
        channel = str(payload["channel"])
        pages = client.conversations_replies(
            channel=channel, ts=str(payload["thread_ts"]), oldest=oldest, include_all_metadata=True, limit=200
        )
    wanted = _metadata(delivery, index)
    filename = (payload.get("upload") or {}).get("filename")
    for message in _messages(pages):
        if message.get("metadata") == wanted or (
            filename and any(f.get("name") == filename for f in message.get("files", []))
        ):
            return {"channel": channel, "ts": message["ts"]}
    return None


def _conversation(client: WebClient, channel: str) -> str:
    """A channel's id as it is; a person's id (a DM) becomes their DM conversation's id."""
    if channel.startswith(("U", "W")):
        return str(client.conversations_open(users=channel)["channel"]["id"])
    return channel


def _messages(pages: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for number, page in enumerate(pages):
        if number == PAGES_LOOKED_AT:
            return
        yield from page.get("messages", [])
