"""`csip` starts fast: help imports only the standard library, and commands on an up-to-date
database import neither Alembic nor the report renderers they do not use.

Each check runs `csip` in a fresh interpreter and reads its `sys.modules`, because this test
process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from csip.reporting import FORMATS
from reports import render
from storage.database import HEAD_REVISION, alembic_config, connect, migrate, schema_revisions
from tests.conftest import Databases, run_csip

ROOT = Path(__file__).parent.parent
HEAVY = (
    "alembic",
    "apscheduler",
    "docx",
    "matplotlib",
    "openpyxl",
    "pydantic",
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "uvicorn",
)
PROBE = f"""
import json, sys
import csip.cli
codes = []
for args in json.loads(sys.argv[1]):
    try:
        codes.append(csip.cli.main(args))
    except SystemExit as stop:
        codes.append(stop.code)
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
print("\\n" + json.dumps({{"codes": codes, "loaded": loaded}}))
"""
COMMANDS = ("import", "export", "serve", "run-due", "digest", "exemption", "report", "audit", "migrate")
TRACKER = "Ref,Priority,Action,Owner,Due date,RAG\n1.1,1,Audit case files,jo@council.example,31/07/2017,Red\n"


def start(*commands: list[str], database_url: str | None = None) -> subprocess.Popen[str]:
    """Start `csip`, once per command, in one new interpreter."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CSIP_")}
    if database_url:
        env["CSIP_DATABASE_URL"] = database_url
    return subprocess.Popen(
        [sys.executable, "-c", PROBE, json.dumps(commands)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[list[int], list[str], str]:
    """The exit codes of the commands a :func:`start` ran, the heavy packages loaded by the end,
    and the output."""
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stdout + stderr
    output, _, last = stdout.rstrip("\n").rpartition("\n")
    probe = json.loads(last)
    return probe["codes"], probe["loaded"], output + stderr


def run(*commands: list[str], database_url: str | None = None) -> tuple[list[int], list[str], str]:
    """Run `csip` once per command in one new interpreter: the exit codes, the heavy packages
    loaded by the end, and the output."""
    return finish(start(*commands, database_url=database_url))


def test_help_imports_nothing_heavy() -> None:
    codes, loaded, output = run(["--help"], *([command, "--help"] for command in COMMANDS))
    assert codes == [0] * (1 + len(COMMANDS)), output
    assert output.count("usage: csip") == 1 + len(COMMANDS), output
    assert loaded == [], f"csip --help imported {loaded}"


@pytest.fixture(scope="module")
def started(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The interpreters the tests below read, all started at once: each takes most of a second
    to start and import what its command needs, and none waits for another."""
    folder = tmp_path_factory.mktemp("startup")
    tracker = folder / "plan.csv"
    tracker.write_text(TRACKER)
    planned = databases.fresh("sqlite", folder / "planned.db")
    run_csip(planned, ("import", str(tracker)))
    interpreters = {
        "import": start(
            ["import", str(tracker)], database_url=databases.fresh("sqlite", folder / "empty.db")
        ),
        "report": start(["report", "--format", "text"], database_url=planned),
        "no plan": start(
            ["report", "--format", "text"], database_url=databases.fresh("sqlite", folder / "none.db")
        ),
    }
    yield interpreters
    for process in interpreters.values():
        if process.poll() is None:  # its test never read it
            process.kill()
            process.communicate()


def test_commands_on_an_up_to_date_database_skip_alembic_and_unused_renderers(
    started: dict[str, subprocess.Popen[str]],
) -> None:
    (code,), loaded, output = finish(started["import"])  # into an empty database
    assert code == 0, output
    assert not {"alembic", "docx", "matplotlib", "slack_bolt"} & set(loaded), loaded

    (code,), loaded, output = finish(started["report"])  # on a plan imported from the same tracker
    assert code == 0, output
    assert "a total of 1 action (100%) RAG rated 'Red'" in output, output
    assert not {"alembic", "docx", "matplotlib", "openpyxl", "slack_bolt"} & set(loaded), loaded


def test_input_errors_still_exit_2(started: dict[str, subprocess.Popen[str]]) -> None:
    (code,), _, output = finish(started["no plan"])
    assert code == 2, output
    assert "There is no plan yet" in output, output


def test_head_revision_is_alembics_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [HEAD_REVISION], f"set storage.database.HEAD_REVISION to {heads}"


def test_migrate_creates_a_fresh_database_and_records_the_head(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'fresh.db'}")
    with engine.connect() as connection:
        assert schema_revisions(connection) == set()
    migrate(engine)
    migrate(engine)  # at the head already: nothing to do
    with engine.connect() as connection:
        assert schema_revisions(connection) == {HEAD_REVISION}
    engine.dispose()


def test_report_formats_match_the_renderer() -> None:
    assert FORMATS == render.FORMATS
