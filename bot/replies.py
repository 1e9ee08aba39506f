"""Answering a request: every outcome, failures included, gets an ephemeral reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_bolt import Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookResponse

from bot import views
from bot.metrics import HANDLED
from plan.errors import ChangeSaved, CsipError

log = logging.getLogger(__name__)


@contextmanager
def once_saved(ref: str) -> Iterator[None]:
    """Wrap what follows a saved change, so that its failure says the change was saved."""
    try:
        yield
    except Exception as error:
        raise ChangeSaved(ref) from error


def replying(respond: Respond, work: Callable[[], views.Reply | None], kind: str = "command") -> None:
    """Run ``work`` and send its reply; a refusal, Slack trouble or a bug still gets an answer.
    ``kind`` names the request in the metrics, with how it ended."""
    outcome, started = "ok", time.perf_counter()
    try:
        reply = work()
    except ChangeSaved as error:
        log.exception("a change was saved but could not be shown")
        outcome = "saved_not_shown"
        reply = views.notice_reply(
            f"Your change to {error.ref} was saved, but csip could not show it here just now. "
            f"`/csip show {error.ref}` shows the action as it stands."
        )
    except CsipError as error:  # the user's input, the setup or Slack: each says what to do
        outcome = "refused"
        reply = views.error_reply(str(error))
    except SlackApiError as error:
        log.warning("Slack did not answer: %s", error.response.get("error"))
        outcome = "slack_error"
        reply = views.error_reply("Slack did not answer csip just now, so nothing was changed. Try again.")
    except Exception:
        log.exception("a csip request failed")
        outcome = "error"
        reply = views.error_reply("Something went wrong on csip's side. Please try again.")
    HANDLED.labels(kind, outcome).inc()
    log.info("%s: %s, worked out in %.2f s", kind, outcome, time.perf_counter() - started)
    if reply is not None:
        send_reply(respond, reply)


def send_reply(send: Callable[..., WebhookResponse], reply: views.Reply) -> None:
    """Post an ephemeral reply; if Slack refuses the blocks, say it again in plain text."""
    result = send(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
    if result.status_code != 200:
        log.warning("Slack refused a reply (HTTP %s); resending as plain text", result.status_code)
        send(text=reply.text, response_type="ephemeral", replace_original=False)
