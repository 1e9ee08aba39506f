"""Print benchmark rows as a Markdown-style table, right-aligned."""

from __future__ import annotations


def print_table(rows: list[dict[str, str]]) -> None:
    columns = list(rows[0])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
    print(" | ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(row[c].rjust(w) for c, w in zip(columns, widths, strict=True)))
