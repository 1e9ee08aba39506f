"""APScheduler only ticks: every few minutes, and once at start, it runs `run_due`.

What to send lives in the database (see ``schedules.tick``), so APScheduler 3's in-memory job
store is enough: nothing is lost when the process stops, and replicas do not need to share it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.metrics import TICK_SECONDS
from plan.clock import LONDON

log = logging.getLogger(__name__)


def start_ticking(
    tick: Callable[[], object], minutes: int, ticked: Callable[[], None] | None = None
) -> BackgroundScheduler:
    """``ticked`` is told of each tick that succeeds (for /readyz); each tick is timed."""

    def safe_tick() -> None:
        started = time.perf_counter()
        try:
            log.info("tick: %s", tick())
        except Exception:  # the next tick tries again; nothing was marked sent
            log.exception("tick failed")
            return
        finally:
            TICK_SECONDS.observe(time.perf_counter() - started)
        if ticked is not None:
            ticked()

    scheduler = BackgroundScheduler(timezone=LONDON)
    scheduler.add_job(
        safe_tick,
        IntervalTrigger(minutes=minutes),
        id="run_due",
        next_run_time=dt.datetime.now(LONDON),  # catch up at start
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
