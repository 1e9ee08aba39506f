"""The invented sample trackers: examples/plan.xlsx and examples/plan-2017-09.xlsx.

plan.xlsx is a 306-action plan shaped like the committee report's. As at 31 August 2017: 298
actions due (97%), rated 23 Red, 142 Amber and 133 Green; priorities 2, 3 and 10 have no Red;
priority 5 has the most Reds (9). plan-2017-09.xlsx is the same plan a month on: five of
priority 5's Reds are now Green, two of priority 2's Ambers have gone Red and ten more Ambers
are Green (20 Red, 130 Amber, 148 Green). People and actions are invented.

The same every time (a seeded generator): `csip demo` writes them afresh and imports them, and
`python -m csip.sample_plan examples` rewrites the copies kept in the repository.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

from openpyxl import Workbook

PRIORITIES = {  # number: (title, actions, not yet due by 31 Aug 2017, reds)
    1: ("Leadership, governance and accountability", 30, 2, 3),
    2: ("Management oversight and quality assurance", 28, 0, 0),
    3: ("Safeguarding Children Board", 22, 0, 0),
    4: ("Front door and early help", 34, 2, 3),
    5: ("Children Looked After", 40, 0, 9),
    6: ("Child protection", 36, 2, 3),
    7: ("Children in need", 32, 1, 2),
    8: ("Workforce recruitment and retention", 34, 1, 2),
    9: ("Care leavers", 28, 0, 1),
    10: ("Legal services", 22, 0, 0),
}
AMBERS = 142  # spread over the priorities; the rest of the due actions are Green
FIRST_NAMES = ["Alex", "Bea", "Cal", "Dana", "Eli", "Fen", "Gus", "Hana", "Ivo", "Jude", "Kit",
               "Lou", "Mo", "Nell", "Oli", "Pip", "Quin", "Ros", "Sol", "Tam", "Uma", "Vic"]  # fmt: skip
SURNAMES = ["Ashdown", "Birch", "Crane", "Dale", "Ellery", "Frost", "Grove", "Heath", "Ings",
            "Jessop", "Kemp", "Lowe", "Marsh", "Noakes", "Orme", "Pryce"]  # fmt: skip
VERBS = ["Review", "Embed", "Audit", "Publish", "Train staff on", "Agree", "Monitor", "Refresh"]
OBJECTS = ["the threshold document", "supervision practice", "care plans", "the missing protocol",
           "return home interviews", "the pathway plan template", "case transfer guidance",
           "the quality assurance framework", "the placement sufficiency strategy",
           "the recruitment campaign", "the court work tracker",
           "the CIN panel terms of reference"]  # fmt: skip
HEADER = ["Ref", "Priority", "Priority title", "Lead", "Recommendation", "Action", "Owner",
          "Due date", "RAG", "Note"]  # fmt: skip


def people(rng: random.Random, count: int) -> list[str]:
    names = {f"{rng.choice(FIRST_NAMES)}.{rng.choice(SURNAMES)}".lower() for _ in range(count * 3)}
    return [f"{name}@anyborough.example" for name in sorted(names)[:count]]


def build_rows(rng: random.Random) -> list[list[object]]:
    owners = people(rng, 24)
    leads = {number: owners[number - 1] for number in PRIORITIES}
    due_count = sum(total - not_due for _, total, not_due, _ in PRIORITIES.values())
    amber_left, due_left = AMBERS, due_count
    rows: list[list[object]] = []
    for number, (title, total, not_due, reds) in PRIORITIES.items():
        due_here = total - not_due
        ambers = round(amber_left * due_here / due_left) if due_left else 0
        amber_left, due_left = amber_left - ambers, due_left - due_here
        rags = ["Red"] * reds + ["Amber"] * ambers + ["Green"] * (due_here - reds - ambers)
        rng.shuffle(rags)
        for index in range(total):
            ref = f"{number}.{index + 1}"
            is_due = index < due_here
            due = dt.date(2016, 7, 1) + dt.timedelta(days=rng.randrange(0, 426))
            if not is_due:
                due = dt.date(2017, 10, 2) + dt.timedelta(days=rng.randrange(0, 90))
            rag = rags[index] if is_due else ""
            if rag == "Green" and rng.random() < 0.4:
                rag = "Complete"
            rows.append([
                ref, number, title, leads[number],
                ", ".join(str(r) for r in sorted(rng.sample(range(1, 24), rng.randint(1, 2)))),
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}", rng.choice(owners), due, rag,
                note_for(rag, rng),
            ])  # fmt: skip
    return rows


def note_for(rag: str, rng: random.Random) -> str:
    if rag == "Red":
        return rng.choice(["Delayed by recruitment freeze; revised plan to CSIGB in September",
                           "Partner sign-off outstanding; escalated to the director"])  # fmt: skip
    if rag == "Amber":
        return rng.choice(["On track but depends on agency staff cover",
                           "Draft ready; awaiting consultation feedback"])  # fmt: skip
    return ""


def a_month_on(rows: list[list[object]]) -> list[list[object]]:
    """The September tracker: the same actions with some RAG ratings moved."""
    moved = [list(row) for row in rows]
    changes = [(5, "Red", "Green", 5, ""), (2, "Amber", "Red", 2, "QA team short of two auditors"),
               (7, "Amber", "Green", 10, "")]  # fmt: skip
    for priority, before, after, count, note in changes:
        for row in [r for r in moved if r[1] == priority and r[8] == before][:count]:
            row[8], row[9] = after, note
    return moved


def write(path: Path, rows: list[list[object]], as_at: str) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "CSIP tracker"
    sheet.append([f"Anyborough Children's Services Improvement Plan: tracker as at {as_at}"])
    sheet.merge_cells("A1:J1")
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_row=4, min_col=8, max_col=8):
        cell.number_format = "DD/MM/YYYY"
    book.save(path)


def write_sample_trackers(folder: Path) -> tuple[Path, Path]:
    """The August and September trackers, written into ``folder``."""
    rows = build_rows(random.Random(2017))
    august, september = folder / "plan.xlsx", folder / "plan-2017-09.xlsx"
    write(august, rows, "31 August 2017")
    write(september, a_month_on(rows), "30 September 2017")
    return august, september


if __name__ == "__main__":
    write_sample_trackers(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("examples"))
