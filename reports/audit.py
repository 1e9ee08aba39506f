"""The audit trail as CSV, for evidence: Excel opens it as it is (UTF-8 with a BOM), and shows
what users typed as text, never as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from plan.audit import HEADER, AuditRow
from reports.inert import for_csv


def audit_csv(rows: Sequence[AuditRow]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows([for_csv(cell) for cell in row.cells()] for row in rows)
    return text.getvalue().encode("utf-8-sig")
