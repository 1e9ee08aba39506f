"""User text written into a spreadsheet cell that the spreadsheet shows and never runs.

A note or description beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is taken by Excel (and other spreadsheets) as a formula: ``=HYPERLINK(...)`` in a note would
become a live link in the export that officers open. OWASP's rule for CSV is to put a single
quote in front; the import takes it off again, so an export imported back changes nothing.
In a workbook the cell is written as a string instead, so it shows exactly what was typed.

Characters that XML 1.0 cannot hold (a vertical tab pasted from Word, NUL from a CSV) would
make openpyxl and python-docx refuse the whole file; new text is refused where it is typed,
and ``printable`` drops any that were stored before that, so no report can fail on them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # openpyxl is loaded by what writes workbooks; reading a CSV needs none of it
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

QUOTE = "'"
FORMULA_START = "=+-@\t\r"

# What XML 1.0 cannot hold: openpyxl's own ILLEGAL_CHARACTERS_RE, written out so that reading a
# tracker does not load openpyxl (tests/test_hostile_text.py holds the two equal).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

# Text that starts like a formula, after any quotes: `'=x` needs its own quote, or the import
# would take the user's quote off and give back `=x`.
_LOOKS_LIKE_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def for_csv(text: str) -> str:
    """The text a CSV cell holds: quoted if a spreadsheet would take it as a formula."""
    return QUOTE + text if _LOOKS_LIKE_FORMULA.match(text) else text


def for_xlsx(text: str) -> str:
    """The text a workbook cell holds, written as a string (see ``string_cell``).

    It is shown as typed, so only text that already starts with a quote before a formula
    character gets one more, for the import to take off.
    """
    text = printable(text)
    return QUOTE + text if _QUOTED_FORMULA.match(text) else text


def text_cell(sheet: Worksheet | WriteOnlyWorksheet, text: str) -> Cell:
    """A workbook cell holding ``text`` as a string, never a formula (openpyxl makes any text
    starting with ``=`` one). Excel's quote prefix keeps it text if someone edits the cell."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=for_xlsx(text))
    cell.data_type = "s"
    if _LOOKS_LIKE_FORMULA.match(text):
        cell.quotePrefix = True
    return cell


def restore(text: str) -> str:
    """The text as it was before ``for_csv`` or ``for_xlsx``: one neutralising quote off."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


def printable(text: str) -> str:
    """Without the control characters a workbook or Word document cannot hold."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return cleaned
