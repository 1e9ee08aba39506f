"""Work done after an ack, in a bounded pool of its own.

Bolt runs listeners in a small thread pool and a request's ack waits for a free thread there.
If listeners did their work in those threads, a burst (or a slow database or Slack) would hold
every thread and later requests would miss Slack's 3 seconds. So listeners only ack and hand
the work here; the replies follow through the response URL when it is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)
# Two threads: one slow Slack call or database wait does not hold up every reply, and the acks
# (which need the interpreter too) still come first. BENCHMARKS.md measured 1 to 4: with more
# threads, the work competed with the acks and a burst's acks slowed; the replies finished no
# sooner, since the work is bound by one core.
WORKERS = 2


class Background:
    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="csip-work")

    def submit(self, work: Callable[[], object]) -> Future[None]:
        """Run ``work`` soon; an exception is logged (the work has already answered the user)."""
        return self._pool.submit(self._run, work)

    @staticmethod
    def _run(work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:
            log.exception("work after an ack failed")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
