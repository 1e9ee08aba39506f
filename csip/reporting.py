"""`csip report` and `csip audit`: figures and evidence for the board, committees and Ofsted.

Like the rest of the command line, adding these commands to the parser imports nothing beyond
the standard library; each run function imports the store and the renderers it uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from csip.arguments import date_argument

if TYPE_CHECKING:
    from csip.settings import Settings

# reports.render.FORMATS, repeated so that building the parser imports no report code;
# tests/test_startup.py checks that the two agree.
FORMATS = ("text", "json", "docx", "xlsx", "png")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="the plan's figures as at a date, rebuilt from the history")
    report.add_argument("--as-at", type=date_argument, help="31/08/2017 or 2017-08-31 (default: today)")
    report.add_argument(
        "--from", dest="start", type=date_argument, help="start of the period (default: first due date)"
    )
    report.add_argument("--compare", type=date_argument, help="an earlier date: add what moved since then")
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("--output", type=Path, help="write here instead of standard output")
    report.set_defaults(run=run_report)

    audit = commands.add_parser("audit", help="the full change history as CSV, for evidence")
    audit.add_argument("--since", type=date_argument, help="a date: changes effective on or after it")
    audit.add_argument("--ref", help="one action only")
    audit.add_argument("--output", type=Path, help="e.g. audit.csv (default: standard output)")
    audit.set_defaults(run=run_audit)


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    from csip.progress import progress
    from csip.wiring import open_database
    from plan.clock import london_date, utc_now
    from plan.errors import InputError
    from plan.parsing import uk_date
    from plan.rules import check_not_future
    from plan.service import existing_plan
    from reports.files import write_bytes
    from reports.render import BINARY, render, report_as_at

    today = london_date(utc_now())
    as_at = args.as_at or today
    check_not_future(as_at, today, "a report's date")
    if args.format in BINARY and args.output is None:
        raise InputError(f"--format {args.format} writes a file: give --output, e.g. report.{args.format}.")
    with progress(f"Building the report as at {uk_date(as_at)}…"), open_database(settings)() as store:
        built = report_as_at(
            store,
            existing_plan(store, settings.plan_team()),
            as_at,
            start=args.start,
            compare=args.compare,
            fmt=args.format,
        )
    with progress(f"Writing it as {args.format}…"):
        content = render(built, args.format)
    if args.output is None:
        sys.stdout.write(content.decode())
    else:
        write_bytes(args.output, content)
        print(f"{args.output}: report as at {as_at.isoformat()} ({args.format})")
    return 0


def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    from csip.wiring import open_database
    from plan.audit import audit_rows
    from plan.errors import InputError
    from plan.parsing import parse_ref, plural
    from plan.service import existing_plan
    from reports.audit import audit_csv
    from reports.files import write_bytes

    with open_database(settings)() as store:
        history = store.history(existing_plan(store, settings.plan_team()))
    ref = parse_ref(args.ref) if args.ref else None
    if ref is not None and ref not in {record.ref for record in history.records}:
        raise InputError(f"There is no action {ref}.")
    rows = audit_rows(history, since=args.since, ref=ref)
    if args.output is None:
        sys.stdout.write(audit_csv(rows).decode("utf-8-sig"))
        return 0
    write_bytes(args.output, audit_csv(rows))
    print(f"{args.output}: {plural(len(rows), 'change')}")
    return 0
