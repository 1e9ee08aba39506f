"""Failures csip explains in a sentence, named by whose they are to fix.

Each message says what happened and what to do; the command line prints it (no traceback) and
Slack shows it to the person who asked. Anything else that goes wrong is a bug in csip.
"""

from __future__ import annotations


class CsipError(Exception):
    """A failure with a message fit to show whoever asked."""


class InputError(CsipError, ValueError):
    """The user's input: a wrong ref, a mangled date, a command csip cannot follow, a tracker
    with problems. Changes nothing; the message says what to type instead."""


class SetupError(CsipError):
    """The installation's setup: a token or channel not configured, no plan imported yet, a
    folder csip may not write to. The message names the setting or step."""


class SlackError(CsipError):
    """Slack did not answer or would not say what csip asked; nothing was changed, so trying
    again later is safe."""


class NoPlanYet(SetupError):
    """Nothing has been imported for this workspace yet."""

    def __init__(self, what_to_do: str = "`csip import` one first.") -> None:
        super().__init__(f"There is no plan yet: {what_to_do}")


class ChangeSaved(Exception):
    """A change was saved, and then something failed (reading it back, showing it): whoever
    made it must be told it was saved, or they would make it again. Not a ``CsipError``: it is
    not a refusal."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"the change to {ref} was saved; what followed failed")
        self.ref = ref
