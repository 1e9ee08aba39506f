"""Charts as PNG bytes: RAG by priority (stacked bars) and the RAG trend over time.

Colours are the Okabe-Ito vermillion, orange and bluish green, which stay apart for the common
kinds of colour blindness; every bar also carries its count and a hatch pattern, so the chart
reads in black and white too.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no screen: render to files only

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from plan.figures import PriorityFigures, RagFigures
from plan.parsing import uk_date

SERIES = (("Red", "#D55E00", "///"), ("Amber", "#E69F00", "..."), ("Green", "#009E73", ""))
DPI = 100
REPORT_SIZE = (12, 10)  # inches at DPI: 1200 x 1000 pixels
DIGEST_SIZE = (10, 5)


def _counts(rag: RagFigures) -> tuple[int, int, int]:
    return rag.red, rag.amber, rag.green


def _by_priority(axes: Axes, rows: Sequence[PriorityFigures], on: dt.date) -> None:
    labels = [str(row.number) for row in rows]
    bottoms = [0] * len(rows)
    for index, (name, colour, hatch) in enumerate(SERIES):
        values = [_counts(row.rag)[index] for row in rows]
        bars = axes.bar(
            labels,
            values,
            bottom=bottoms,
            color=colour,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.5,
            label=name,
        )
        for label in axes.bar_label(bars, labels=[str(v) if v else "" for v in values], label_type="center"):
            label.set_fontsize(8)
            label.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85})
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_title(f"RAG of due actions by priority, as at {uk_date(on)}")
    axes.set_xlabel("Priority")
    axes.set_ylabel("Actions")
    axes.legend()


def _trend(axes: Axes, trend: Sequence[tuple[dt.date, RagFigures]]) -> None:
    days = [f"{day:%d %b %Y}" for day, _ in trend]
    for index, (name, colour, _hatch) in enumerate(SERIES):
        axes.plot(
            days,
            [_counts(rag)[index] for _, rag in trend],
            color=colour,
            marker="o",
            linestyle=("-", "--", ":")[index],
            label=name,
        )
    axes.set_title("RAG of due actions over time")
    axes.set_ylabel("Actions")
    axes.legend()
    axes.tick_params(axis="x", labelrotation=45)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def report_charts(
    rows: Sequence[PriorityFigures], on: dt.date, trend: Sequence[tuple[dt.date, RagFigures]]
) -> bytes:
    """Both charts, one above the other."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=REPORT_SIZE)
    _by_priority(top, rows, on)
    _trend(bottom, trend)
    return _png(figure)


def priority_chart(rows: Sequence[PriorityFigures], on: dt.date) -> bytes:
    """RAG by priority alone, for the weekly digest."""
    figure, axes = plt.subplots(figsize=DIGEST_SIZE)
    _by_priority(axes, rows, on)
    return _png(figure)
