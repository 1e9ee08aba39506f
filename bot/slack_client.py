"""The Slack Web API client, with slack_sdk's retry handlers.

slack_sdk's handlers decide *whether* to retry (429, 5xx, a dropped connection) and how long to
wait, but wait with ``time.sleep`` inside the library. Here the waiting itself is handed in
(``sleep``), so tests record the waits instead of sleeping and nothing patches slack_sdk.

Two decisions are taken back from slack_sdk. A post (``POSTING``) is not repeated here after
anything that may have followed its arrival at Slack: a dropped connection, a timeout, a 5xx;
only when the connection never opened. What happened to it is then "unknown", and the scheduler
looks for the message before posting it again (``schedules.sending``). And no 429 is waited out
for longer than ``LONGEST_WAIT``: a longer Retry-After fails the call, to be tried at the next
tick, so that a scheduler's claim on a delivery (``schedules.tick.CLAIM_LEASE``) outlasts any
one post.
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


LONGEST_WAIT = 60  # seconds a 429's Retry-After may ask csip to wait within one call


def make_client(slack: SlackConnection, *, sleep: Sleep = time.sleep, timeout: float = 10) -> WebClient:
    """429s wait as long as Retry-After says (up to a minute); 5xx and dropped connections back
    off and retry, except a post that may have arrived."""
    return WebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        timeout=timeout,  # type: ignore[arg-type]  # urllib takes seconds as a float
        retry_handlers=[
            _Waiting(_ConnectionRetry(max_retry_count=2), sleep),
            _Waiting(_RateLimitRetry(max_retry_count=3), sleep),
            _Waiting(_ServerErrorRetry(max_retry_count=2), sleep),
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
            return retry_after(response) + random.random()
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


class _ServerErrorRetry(ServerErrorRetryHandler):
    """slack_sdk's, except for a post: a 5xx may come after Slack has posted it."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retry = super()._can_retry(state=state, request=request, response=response, error=error)
        return retry and method_of(request.url) not in POSTING


class _RateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's, up to a wait of ``LONGEST_WAIT``: a longer one fails the call."""

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
        return response is None or retry_after(response) <= LONGEST_WAIT


def retry_after(response: HttpResponse) -> int:
    """A 429's Retry-After in seconds (1 when it says nothing)."""
    after = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
    try:
        return int(after[0]) if after else 1
    except ValueError:
        return 1


def method_of(url: str) -> str:
    """The Web API method a request calls: the last part of its path."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
