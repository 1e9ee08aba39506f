"""Posting a claimed delivery to Slack and recording what happened.

slack_sdk's retry handlers wait out 429s and retry what can safely be retried (see
``bot.slack_client``); what still fails comes back here. Slack's clear refusal goes back to
pending for the next tick, or fails for good when no retry can mend it. Progress is saved after
each part, so a retry never posts a part twice.

A post can also land without its answer reaching csip: a 5xx, a timeout, a connection dropped or
cut short, or the process dying between the post and saving its progress. So each part is posted
with a key in its message metadata, and the delivery is marked unsure before the post; whoever
sends an unsure delivery next first looks for that key in the conversation (or the file in the
thread) since the first try, and records what it finds instead of posting again. A look-up that
fails leaves the delivery unsure for the next tick; it never gives the message up.

Every write after the claim checks that the claim still holds: a sender whose claim lapsed and
was taken over stops.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterable
from enum import StrEnum
from typing import Any
from urllib.error import HTTPError, URLError

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
    who = f"{delivery.key.kind} to {delivery.key.recipient}"
    for index in range(delivery.parts_sent, len(delivery.messages)):
        payload = dict(delivery.messages[index])
        if index > 0 and channel and ts:
            payload.update(channel=channel, thread_ts=ts)
        response: dict[str, Any] | None = None
        if unsure_since is not None:
            try:
                response = _find_posted(client, delivery, index, payload, unsure_since)
            except Exception as error:  # a look-up that fails never gives the message up
                log.warning("%s: could not look for part %d (%s); it will be looked for again",
                            who, index + 1, _code(error))  # fmt: skip
                deliveries.retry_later(delivery, f"look-up: {_code(error)}", unsure=True)
                return Outcome.UNKNOWN
            if response is not None:
                log.info("%s: part %d was already posted; not posting it again", who, index + 1)
        if response is None:
            if not deliveries.posting(delivery, clock()):
                log.warning("%s: the claim lapsed and another sender took it over", who)
                return Outcome.TAKEN_OVER
            try:
                response = _post(client, payload, _metadata(delivery, index))
            except Exception as error:
                return _failed(deliveries, delivery, who, error)
        if index == 0:
            channel, ts = str(response["channel"]), str(response["ts"])
        if not deliveries.part_sent(delivery, index + 1, channel or "", ts):
            log.warning("%s: the claim lapsed and another sender took it over", who)
            return Outcome.TAKEN_OVER
        unsure_since = None
    deliveries.delivered(delivery, clock())
    return Outcome.DELIVERED


def _failed(deliveries: Deliveries, delivery: Delivery, who: str, error: Exception) -> Outcome:
    """What a failed post means. Slack's answer that it did not post (an error with HTTP 200,
    or a 429) is retried, or given up when no retry can mend it; a failure to connect never
    reached Slack. Anything else (a 5xx, a timeout, a connection dropped or cut short) may have
    followed the post: unknown, looked for before the next try."""
    code = _code(error)
    if isinstance(error, SlackApiError) and error.response.status_code < 500:
        if code in PERMANENT:
            log.error("%s failed for good: %s", who, code)
            deliveries.give_up(delivery, code)
            return Outcome.FAILED
        log.warning("%s will be retried: %s", who, code)
        deliveries.retry_later(delivery, code)
        return Outcome.RETRY
    if isinstance(error, URLError) and not isinstance(error, HTTPError):
        log.warning("%s will be retried: could not reach Slack (%s)", who, error.reason)
        deliveries.retry_later(delivery, code)
        return Outcome.RETRY
    log.warning("%s: no clear answer from Slack (%s); it will be looked for, then retried", who, code)
    deliveries.retry_later(delivery, f"unknown: {code}", unsure=True)
    return Outcome.UNKNOWN


def _code(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or error.response.status_code)
    return type(error).__name__


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
