"""Argument types the `csip` commands share: a date (as on Slack: 31/08/2017, or ISO) and an
instant (ISO)."""

from __future__ import annotations

import argparse
import datetime as dt


def date_argument(text: str) -> dt.date:
    """A date as Slack's commands read one: day first (31/08/2017) or ISO (2017-08-31)."""
    from plan.errors import InputError
    from plan.parsing import parse_date

    try:
        return parse_date(text)
    except InputError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 31/08/2017 or 2017-08-31") from None


def instant(text: str) -> dt.datetime:
    """An ISO time; London time when it has no zone, as people mean it."""
    from plan.clock import LONDON

    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a time like 2017-09-04T09:00") from None
    return when.replace(tzinfo=LONDON) if when.tzinfo is None else when
