"""Every failure of a `csip` command as one line and an exit code: 2 for what the person running
it can put right (input, setup, the database's address), 1 for the rest. `--debug` shows the
traceback instead."""

from __future__ import annotations

import sys

DEBUG_HINT = "run it again with --debug to see where"


def explain(error: BaseException) -> tuple[str, int]:
    """The line to print (without the leading ``csip:``) and the exit code."""
    from plan.errors import CsipError, SlackError

    if isinstance(error, CsipError):
        return str(error), 1 if isinstance(error, SlackError) else 2
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), 2
    if "sqlalchemy" in sys.modules:  # loaded only by commands that use the database
        from sqlalchemy.exc import DBAPIError

        if isinstance(error, DBAPIError):
            return (
                f"cannot use the database ({_first_line(error.orig)}): check CSIP_DATABASE_URL, "
                "that the database is running, and that csip may write to it",
                2,
            )
    if "pydantic" in sys.modules:
        from pydantic import ValidationError

        if isinstance(error, ValidationError):
            problems = "; ".join(
                f"{_variable(problem['loc'])}: {problem['msg']}" for problem in error.errors()
            )
            return f"a setting is not valid ({problems}): see 'Configuration' in the README", 2
    return f"something went wrong ({type(error).__name__}: {_first_line(error)}); {DEBUG_HINT}", 1


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _variable(location: tuple[int | str, ...]) -> str:
    """The environment variable a setting is read from: CSIP_ and its name, or Slack's own."""
    name = str(location[0]).upper() if location else "?"
    return name if name.startswith(("CSIP_", "SLACK_")) else f"CSIP_{name}"
