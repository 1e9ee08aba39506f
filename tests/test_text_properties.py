"""Properties of user text over any string hypothesis can make: a note is either accepted clean
or refused with an InputError; a cell never fails to read, and neutralised text reads back."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from plan.errors import InputError
from plan.model import Rag
from plan.rules import check_note
from reports.inert import FORMULA_START, for_csv, for_xlsx, restore
from sheets.cells import Cell, cell_text

# Any text at all, surrogates included, and text made mostly of the characters that matter here.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=())) | st.text(
    st.sampled_from(["'", " ", "\n", "\r", "\t", "\x0b", "\x00", "a", *FORMULA_START])
)
# The same examples on every run, and none remembered between runs.
deterministic = settings(derandomize=True, database=None)
CONTROL_BUT_TAB_AND_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@deterministic
@given(st.sampled_from(Rag), ANY_TEXT)
@example(Rag.AMBER, "Late\x0bagain")
@example(Rag.GREEN, "a\r\nb")
def test_a_note_is_accepted_clean_or_refused(rag: Rag, text: str) -> None:
    try:
        note = check_note(rag, text)
    except InputError:
        return
    assert not CONTROL_BUT_TAB_AND_NEWLINE.search(note)
    assert note == note.strip()


@deterministic
@given(st.one_of(ANY_TEXT, st.integers(), st.floats(), st.none(), st.dates()))
def test_any_cell_reads_as_text(cell: Cell) -> None:
    assert isinstance(cell_text(cell), str)


# What can be stored: text as check_note and the import leave it, trimmed and with no control
# characters a workbook refuses.
STORED = ANY_TEXT.map(str.strip).filter(lambda text: not CONTROL_BUT_TAB_AND_NEWLINE.search(text))


@deterministic
@given(STORED)
@example('=HYPERLINK("http://evil.example")')
@example("'=already quoted")
@example("''+1")
def test_neutralised_text_imports_back_as_it_was(text: str) -> None:
    assert cell_text(for_xlsx(text)) == text
    assert cell_text(for_csv(text)) == text
    written = io.StringIO(newline="")
    csv.writer(written).writerow([for_csv(text)])
    [[read]] = list(csv.reader(io.StringIO(written.getvalue(), newline="")))
    assert cell_text(read) == text


@deterministic
@given(ANY_TEXT)
def test_a_csv_cell_never_starts_like_a_formula(text: str) -> None:
    assert not for_csv(text).startswith(tuple(FORMULA_START))
    assert restore(for_csv(text)) == text
