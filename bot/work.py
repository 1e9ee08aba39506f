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
from typing import Any

from bot.log_context import REQUEST_ID, REQUEST_ID_KEY

log = logging.getLogger(__name__)
# Where bot/server.py puts, in a request's Bolt context, the check that the request has not been
# seen before. It runs with the work, after the ack: the ack never waits on the database.
FIRST_TIME = "csip_first_time"
Guard = Callable[[], bool]
# Two threads: one slow Slack call or database wait does not hold up every reply, and the acks
# (which need the interpreter too) still come first. BENCHMARKS.md measured 1 to 4: with more
# threads, the work competed with the acks and a burst's acks slowed; the replies finished no
# sooner, since the work is bound by one core.
WORKERS = 2


class Background:
    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="csip-work")

    def submit(self, work: Callable[[], object], context: Any = None) -> Future[None]:
        """Run ``work`` soon; an exception is logged (the work has already answered the user).

        ``context`` is the request's Bolt context: a request whose signature was seen before (a
        replay) is acknowledged like any other and its work is not done."""
        return self._pool.submit(self._run, work, *_from(context))

    @staticmethod
    def _run(work: Callable[[], object], guard: Guard | None, request_id: str | None = None) -> None:
        token = REQUEST_ID.set(request_id)
        try:
            if guard is not None and not _first_time(guard):
                log.warning("a request was sent again with a signature already used: not done twice")
                return
            work()
        except Exception:
            log.exception("work after an ack failed")
        finally:
            REQUEST_ID.reset(token)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


def _from(context: Any) -> tuple[Guard | None, str | None]:
    """What the work takes from its request's Bolt context: the replay check and the request id."""
    if context is None:
        return None, None
    return context.get(FIRST_TIME), context.get(REQUEST_ID_KEY)


def _first_time(guard: Guard) -> bool:
    """The replay check's answer; if it cannot answer (the database is down), the work goes on.
    The work needs the database too, so it changes nothing and tells the person to try again,
    where skipping it would leave them with no answer at all."""
    try:
        return guard()
    except Exception as error:
        problem = type(error).__name__
        log.warning("could not check whether a request was seen before (%s): answering it", problem)
        return True


class AtOnce(Background):
    """Does each request's work at once, in the thread that asked: for the console workspace,
    which shows a request's outcome before it reads the next line."""

    def __init__(self) -> None:
        pass

    def submit(self, work: Callable[[], object], context: Any = None) -> Future[None]:
        self._run(work, *_from(context))
        done: Future[None] = Future()
        done.set_result(None)
        return done

    def shutdown(self) -> None:
        pass
