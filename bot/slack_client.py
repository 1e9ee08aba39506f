"""The Slack Web API client, with slack_sdk's retry handlers.

slack_sdk's handlers decide *whether* to retry (429, 5xx, a dropped connection) and how long to
wait, but wait with ``time.sleep`` inside the library. Here the waiting itself is handed in
(``sleep``), so tests record the waits instead of sleeping and nothing patches slack_sdk.

One decision is taken back from slack_sdk: a connection dropped after a post was sent may have
posted it, so a post is retried only when the request never left (the connection failed to
open). What happened to the post is then "unknown", and the scheduler looks for the message
before posting it again (``schedules.sending``); a reply to a person is simply not doubled.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.config import SlackConnection

Sleep = Callable[[float], None]


# Methods that post something: doing one twice posts twice.
POSTING = frozenset({"chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal"})


def make_client(slack: SlackConnection, *, sleep: Sleep = time.sleep, timeout: float = 10) -> WebClient:
    """429s wait as long as Retry-After says; 5xx and dropped connections back off and retry."""
    return WebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        timeout=timeout,  # type: ignore[arg-type]  # urllib takes seconds as a float
        retry_handlers=[
            _Waiting(_ConnectionRetry(max_retry_count=2), sleep),
            _Waiting(RateLimitErrorRetryHandler(max_retry_count=3), sleep),
            _Waiting(ServerErrorRetryHandler(max_retry_count=2), sleep),
        ],
    )


class _Waiting(RetryHandler):
    """One of slack_sdk's handlers, waiting through ``sleep``: it decides, this waits."""

    def __init__(self, decides: RetryHandler, sleep: Sleep) -> None:
        super().__init__(decides.max_retry_count, decides.interval_calculator)
        self.decides = decides
        self.sleep = sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return self.decides.can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self.sleep(self._wait(state, response))
        state.increment_current_attempt()

    def _wait(self, state: RetryState, response: HttpResponse | None) -> float:
        """Retry-After (plus up to a second, as slack_sdk adds) for a 429; else the backoff."""
        if isinstance(self.decides, RateLimitErrorRetryHandler) and response is not None:
            after = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
            return (int(after[0]) if after else 1) + random.random()
        return self.interval_calculator.calculate_sleep_duration(state.current_attempt)


class _ConnectionRetry(ConnectionErrorRetryHandler):
    """slack_sdk's, except that a post whose request may have reached Slack is not repeated.

    urllib raises URLError when the connection could not be made or the request not written;
    a reset or a hang-up after that (while waiting for the answer) may follow a post that
    Slack accepted."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        never_sent = isinstance(error, URLError)
        return never_sent or method_of(request.url) not in POSTING


def method_of(url: str) -> str:
    """The Web API method a request calls: the last part of its path."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
