"""The `csip` command: import and export the plan, run the Slack app.

The parser is built from the standard library alone and each command imports what it needs
inside its run function: `csip --help` then answers at once, and a command pays only for its
own libraries (SQLAlchemy, openpyxl, Slack, matplotlib and Alembic each take a noticeable
fraction of a second to import).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from csip.arguments import date_argument, instant
from csip.reporting import add_commands as add_report_commands
from csip.workspaces import add_commands as add_workspace_commands

if TYPE_CHECKING:
    from csip.settings import Settings

log = logging.getLogger("csip")

DESCRIPTION = """The `csip` command: import and export the plan, run the Slack app.

Every command brings the database schema up to date first, so a fresh machine needs nothing
but `csip import` to start. `csip demo` tries it all without Slack."""
# Kept by hand so that `--help` needs no import; tests/test_cli_failures.py holds it to the
# settings csip really reads (csip/settings.py). What each means: 'Configuration' in the README.
ENVIRONMENT = """settings, read from the environment:
  CSIP_DATABASE_URL            sqlite:///csip.db, or postgresql://user@host/database
  CSIP_TEAM_ID                 the plan the command line works on (default: default)
  CSIP_ADMINS                  Slack user ids who may change any action: U01,U02
  CSIP_DIGEST_CHANNELS         channel ids for the weekly digest: C01,C02
  CSIP_GOVERNANCE_CHANNEL      channel id for the monthly exemption report
  CSIP_MANAGEMENT_CHANNEL      channel id for actions 14 working days overdue
  CSIP_RED_ALERT_CHANNEL       channel id told when an action goes Red
  CSIP_REMIND_BEFORE_WORKING_DAYS  14,7,1
  CSIP_ESCALATE_TO_LEAD_AFTER  7 (working days overdue)
  CSIP_ESCALATE_TO_MANAGEMENT_AFTER  14
  CSIP_STALE_AFTER_DAYS        28
  CSIP_SEND_TIME               09:00 (London)
  CSIP_DIGEST_WEEKDAY          0 (Monday)
  CSIP_CATCH_UP_HOURS          48
  CSIP_TICK_MINUTES            5
  CSIP_WORK_THREADS            2
  SLACK_BOT_TOKEN              xoxb-…, for csip serve and run-due
  SLACK_SIGNING_SECRET         for csip serve over HTTP
  SLACK_APP_TOKEN              xapp-…: csip serve uses Socket Mode
  SLACK_API_URL                https://slack.com/api/ (GovSlack has its own)
  SLACK_CLIENT_ID              with SLACK_CLIENT_SECRET instead of a bot token: csip serve
  SLACK_CLIENT_SECRET          installs in several workspaces through /slack/install"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from csip.failures import explain
    from csip.settings import Settings

    try:
        settings = Settings() if args.plan_team is None else Settings().for_team(args.plan_team)
        return int(args.run(args, settings))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if args.debug:
            raise
        line, code = explain(error)
        print(f"csip: {line}", file=sys.stderr)
        return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csip",
        description=DESCRIPTION,
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"csip {_version()}")
    parser.add_argument("--debug", action="store_true", help="on a failure, show the traceback")
    parser.add_argument(
        "--team",
        dest="plan_team",
        help="the workspace (team id) whose plan to work on (default: CSIP_TEAM_ID)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    imp = commands.add_parser("import", help="load or update the plan from a .xlsx or .csv tracker")
    imp.add_argument("path", type=Path)
    imp.add_argument(
        "--as-of", type=date_argument, help="the tracker's date, 31/08/2017 or 2017-08-31 (default: now)"
    )
    imp.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    imp.set_defaults(run=run_import)

    exp = commands.add_parser("export", help="write the plan out as a .xlsx or .csv tracker")
    exp.add_argument("path", type=Path)
    exp.set_defaults(run=run_export)

    serve = commands.add_parser("serve", help="run the Slack app (HTTP, or Socket Mode)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(run=run_serve)

    due = commands.add_parser("run-due", help="one scheduler tick: send whatever is due now")
    due.add_argument(
        "--now", type=instant, help="act as if it were this instant (ISO; London time if no zone)"
    )
    due.set_defaults(run=run_due_now)

    for kind, what in (("digest", "the weekly digest"), ("exemption", "the monthly exemption report")):
        preview = commands.add_parser(kind, help=f"print {what} as chat.postMessage payloads")
        preview.add_argument("--preview", action="store_true", required=True, help="print; do not send")
        preview.add_argument("--now", type=instant, help="as at this instant (default: now)")
        preview.set_defaults(run=run_preview, kind=kind)

    add_report_commands(commands)
    add_workspace_commands(commands)

    doctor = commands.add_parser("doctor", help="check the database, the token, scopes, channels and owners")
    doctor.set_defaults(run=run_doctor)

    man = commands.add_parser("manifest", help="print the Slack app's manifest, to create it in one step")
    man.add_argument("--request-url", help="HTTP mode: https://<your host>/slack/events")
    man.add_argument("--socket-mode", action="store_true", help="Socket Mode (the default without a URL)")
    man.set_defaults(run=run_manifest)

    demo = commands.add_parser("demo", help="try csip in a console workspace: no Slack, token or network")
    demo.add_argument("--database", help="a database URL to use instead of a temporary SQLite file")
    demo.set_defaults(run=run_demo)

    mig = commands.add_parser("migrate", help="bring the database schema up to date")
    mig.set_defaults(run=run_migrate)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("csip")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from csip.progress import progress
    from csip.wiring import open_database
    from plan.clock import london_date, utc_now
    from plan.parsing import plural
    from plan.rules import check_not_future
    from plan.service import import_sheet
    from sheets.files import read_grid
    from sheets.rows import read_sheet

    if args.as_of:
        check_not_future(args.as_of, london_date(utc_now()), "a tracker's --as-of date")
    with progress(f"Reading {args.path.name}…"):
        sheet = read_sheet(read_grid(args.path))
    for column in sheet.ignored_columns:
        print(f"ignored column: {column}")
    if sheet.problems:
        print(f"{args.path.name}: nothing imported; fix these and try again:", file=sys.stderr)
        for problem in sheet.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    open_store = open_database(settings)
    with progress(f"Importing {plural(len(sheet.rows), 'action')}…"), open_store() as store:
        changes = import_sheet(
            store,
            settings.plan_team(),
            sheet.rows,
            now=utc_now(),
            as_of=args.as_of,
            dry_run=args.dry_run,
        )
    heading = "would change (dry run, nothing written)" if args.dry_run else "imported"
    print(f"{args.path.name}: {plural(len(sheet.rows), 'action')} read; {heading}:")
    for line in changes.summary_lines():
        print(f"  {line}")
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from csip.wiring import open_database
    from plan.parsing import plural
    from plan.service import existing_plan
    from sheets.export import export_grid
    from sheets.files import write_grid

    open_store = open_database(settings)
    with open_store() as store:
        view = store.load(existing_plan(store, settings.plan_team()))
    write_grid(args.path, export_grid(view))
    print(f"{args.path}: {plural(len(view.actions), 'action')} written")
    return 0


def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from csip.doctor import checks

    healthy = True
    for check in checks(settings):
        print(check, flush=True)
        healthy = healthy and check.ok
    return 0 if healthy else 1


def run_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from csip.manifest import manifest_yaml
    from plan.errors import InputError

    if not args.request_url and not args.socket_mode and args.request_url is not None:
        raise InputError("--request-url needs a URL, e.g. https://csip.example.gov.uk/slack/events")
    try:
        print(manifest_yaml(args.request_url, True if args.socket_mode else None), end="")
    except ValueError as error:
        raise InputError(str(error)) from None
    return 0


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from csip.console import run_demo

    logging.getLogger().setLevel(logging.WARNING)  # a console for people: no INFO lines among the replies
    return run_demo(args.database, iter(sys.stdin), sys.stdout, echo=not sys.stdin.isatty())


def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from csip.wiring import open_database

    open_database(settings)
    return 0


def run_due_now(args: argparse.Namespace, settings: Settings) -> int:
    from csip.wiring import open_serving, workspaces_served
    from plan.clock import utc_now
    from schedules.workspaces import run_due_everywhere

    # At a time given with --now, that time throughout; otherwise the clock as sending goes on.
    clock = None if args.now else utc_now
    open_store, seen = open_serving(settings)
    served = workspaces_served(settings, seen.engine)
    ticks = run_due_everywhere(open_store, served, settings.schedule(), args.now or utc_now(), clock)
    print(ticks)
    return 1 if ticks.sends_failed else 0


def run_preview(args: argparse.Namespace, settings: Settings) -> int:
    import json
    from dataclasses import replace

    from csip.wiring import open_database
    from plan.clock import utc_now
    from schedules.preview import preview

    schedule = replace(settings.schedule(), team_id=settings.plan_team())
    payloads = preview(open_database(settings), schedule, args.kind, args.now or utc_now())
    print(json.dumps(payloads, indent=2, ensure_ascii=False))
    return 0


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """The Slack app and the scheduler's ticks, in one process.

    Only what answering Slack needs is imported before the server starts. The tick's own
    modules (planning, messages, and matplotlib for the digest's chart) are imported by the
    first tick, on the scheduler's thread, so they do not hold up listening.
    """
    from bot.app import build_app
    from bot.server import serve
    from csip.installations import installs
    from csip.logs import configure as configure_logs
    from csip.wiring import open_serving, serving_health, workspaces_served
    from plan.clock import utc_now
    from schedules.scheduler import start_ticking

    configure_logs()
    for name in settings.ignored_with_several_workspaces():
        log.warning(
            "%s is set but not used: with several workspaces, each sets its own (/csip settings)", name
        )
    open_store, seen = open_serving(settings)
    health = serving_health(settings, seen.engine)
    app = build_app(
        settings.bot(),
        open_store,
        socket_mode=bool(settings.slack_app_token),
        installs=installs(settings, seen.engine),
    )
    schedule = settings.schedule()
    served = workspaces_served(settings, seen.engine, app.client)

    def tick() -> object:
        from schedules.workspaces import run_due_everywhere

        return run_due_everywhere(open_store, served, schedule, utc_now(), utc_now)

    scheduler = start_ticking(tick, settings.tick_minutes, health.ticked)
    try:
        serve(
            app,
            settings.slack_app_token,
            host=args.host,
            port=args.port,
            signing_secret=settings.slack_signing_secret or "",
            seen=seen,
            health=health,
        )
    finally:
        scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
