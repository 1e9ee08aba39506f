"""The audit trail as CSV, for evidence: Excel opens it as it is (UTF-8 with a BOM)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from plan.audit import HEADER, AuditRow


def audit_csv(rows: Sequence[AuditRow]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(row.cells() for row in rows)
    return text.getvalue().encode("utf-8-sig")
