"""Argument types the `csip` commands share: a date and an instant, written the ISO way."""

from __future__ import annotations

import argparse
import datetime as dt


def iso_date(text: str) -> dt.date:
    """YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2017-08-31") from None


def instant(text: str) -> dt.datetime:
    """An ISO time; London time when it has no zone, as people mean it."""
    from plan.clock import LONDON

    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a time like 2017-09-04T09:00") from None
    return when.replace(tzinfo=LONDON) if when.tzinfo is None else when
