"""The plan's pure rules: no database, no Slack."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.commands import OpenUpdateModal, Reassign, Reschedule, UpdateRag, parse_command
from bot.mrkdwn import escape
from plan.clock import end_of_day, start_of_day
from plan.errors import InputError
from plan.figures import largest_remainder, percent_of
from plan.history import fold_action
from plan.model import ActionRecord, Event, EventKind, Rag, Source
from plan.parsing import parse_date, parse_rag, uk_date
from plan.rules import check_note, nearest_refs, ref_key


def test_largest_remainder_prints_the_committee_report_figures() -> None:
    assert largest_remainder([23, 142, 133]) == [8, 48, 44]
    # Each share rounded on its own, as percent_of rounds one figure, would print 101%.
    assert [percent_of(n, 298) for n in (23, 142, 133)] == [8, 48, 45]
    assert percent_of(298, 306) == 97


@pytest.mark.parametrize("counts", [[1, 1, 1], [0, 0, 5], [7, 0, 0], [1, 2, 3, 4], [0, 0, 0]])
def test_largest_remainder_always_adds_to_100(counts: list[int]) -> None:
    shares = largest_remainder(counts)
    assert sum(shares) == (100 if sum(counts) else 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("31/10/2017", dt.date(2017, 10, 31)), ("1/2/2017", dt.date(2017, 2, 1)),
     ("2017-10-31", dt.date(2017, 10, 31)), ("31/10/2017 00:00:00", dt.date(2017, 10, 31)),
     ("31.10.2017", dt.date(2017, 10, 31))],
)  # fmt: skip
def test_dates_are_read_day_first(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("10/31/2017", "not a real date"), ("43039", "serial number"), ("####", "too narrow"),
     ("31/10/17", "not a date"), ("next week", "not a date"), ("", "missing")],
)  # fmt: skip
def test_mangled_dates_are_explained(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_date(text)


def test_rag_spellings() -> None:
    assert [parse_rag(w) for w in ("Red", "R", "red ", "AMBER", "G", "Complete", "Blue")] == [
        Rag.RED, Rag.RED, Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE, Rag.COMPLETE,
    ]  # fmt: skip
    with pytest.raises(InputError, match="not a RAG status"):
        parse_rag("purple")


def test_notes() -> None:
    with pytest.raises(InputError, match="Amber needs a reason"):
        check_note(Rag.AMBER, "  ")
    assert check_note(Rag.GREEN, "") == ""
    with pytest.raises(InputError, match="2,001 characters"):
        check_note(Rag.GREEN, "x" * 2001)


def test_uk_dates_and_london_days() -> None:
    assert uk_date(dt.date(2017, 8, 31)) == "31 August 2017"
    assert start_of_day(dt.date(2017, 8, 31)) == dt.datetime(2017, 8, 30, 23, tzinfo=dt.UTC)  # BST
    assert start_of_day(dt.date(2017, 12, 1)) == dt.datetime(2017, 12, 1, tzinfo=dt.UTC)  # GMT
    assert end_of_day(dt.date(2017, 8, 31)) < start_of_day(dt.date(2017, 9, 1))


def test_history_fold_as_at() -> None:
    record = ActionRecord(id=1, ref="5.3", description="d", priority=5)
    at = [dt.datetime(2017, month, 1, tzinfo=dt.UTC) for month in (6, 7, 8, 9)]

    def event(when: dt.datetime, **fields: object) -> Event:
        return Event(action_id=1, kind=fields.pop("kind", EventKind.RAG), effective_at=when,  # type: ignore[arg-type]
                     recorded_at=at[-1], source=Source.IMPORT, **fields)  # type: ignore[arg-type]  # fmt: skip

    events = [
        event(at[2], rag=Rag.GREEN),  # out of order on purpose: applied by effective time
        event(at[0], kind=EventKind.CREATED, owner_id=7, due_date=dt.date(2017, 8, 31)),
        event(at[1], rag=Rag.RED, note="late"),
        event(at[3], kind=EventKind.DUE, due_date=dt.date(2017, 10, 31), note="moved"),
    ]
    july = fold_action(record, events, as_at=at[1])
    assert july is not None
    assert (july.rag, july.rag_note) == (Rag.RED, "late")
    now = fold_action(record, events)
    assert now is not None
    assert now.rag is Rag.GREEN
    assert now.rag_since == at[2]
    assert (now.original_due_date, now.due_date, now.times_rescheduled) == (
        dt.date(2017, 8, 31), dt.date(2017, 10, 31), 1,
    )  # fmt: skip
    assert fold_action(record, events, as_at=at[0] - dt.timedelta(days=1)) is None


def test_refs_sort_and_suggest() -> None:
    assert sorted(["2.10", "2.9", "10.1", "2.1"], key=ref_key) == ["2.1", "2.9", "2.10", "10.1"]
    assert nearest_refs("5.33", ["5.3", "5.1", "9.9"]) == ["5.3", "5.1"]  # most alike first; 9.9 is not
    assert nearest_refs("5.4", ["2.1", "5.1", "5.2", "5.3"]) == ["5.3", "5.2", "5.1"]  # three at most
    assert nearest_refs("8.8", ["2.3", "4.5"]) == []  # nothing alike: no suggestion


def test_command_parsing() -> None:
    assert parse_command("update 5.3 red  Two spaces\nand a line") == UpdateRag(
        "5.3", Rag.RED, "Two spaces\nand a line"
    )
    assert parse_command("update") == OpenUpdateModal(None)
    assert parse_command("due 5.3 31/10/2017 Moved by the board") == Reschedule(
        "5.3", dt.date(2017, 10, 31), "Moved by the board"
    )
    assert parse_command("assign 5.3 <@U0ABC|jo>") == Reassign("5.3", "U0ABC")
    with pytest.raises(InputError, match="Mention the new owner"):
        parse_command("assign 5.3 @jo")


def test_escape() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
