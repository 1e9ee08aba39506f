"""The Slack Web API client, with slack_sdk's retry handlers.

slack_sdk's handlers decide *whether* to retry (429, 5xx, a dropped connection) and how long to
wait, but wait with ``time.sleep`` inside the library. Here the waiting itself is handed in
(``sleep``), so tests record the waits instead of sleeping and nothing patches slack_sdk.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

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


def make_client(slack: SlackConnection, *, sleep: Sleep = time.sleep) -> WebClient:
    """429s wait as long as Retry-After says; 5xx and dropped connections back off and retry."""
    return WebClient(
        token=slack.bot_token,
        base_url=slack.api_url,
        timeout=10,
        retry_handlers=[
            _Waiting(ConnectionErrorRetryHandler(max_retry_count=2), sleep),
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
