"""The Slack app and the scheduler reach storage only through ``plan.ports``: an import of
storage or SQLAlchemy in ``bot/`` or ``schedules/`` breaks an import-linter contract."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.test_architecture import PACKAGES, ROOT, lint_imports


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("bot/requests.py", "from storage.store import SqlPlanStore", "bot is not allowed to import storage"),
        ("schedules/tick.py", "import sqlalchemy", "schedules is not allowed to import sqlalchemy"),
    ],
)
def test_storage_in_the_app_or_the_scheduler_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    linted = lint_imports(tmp_path)
    assert broken in linted.stdout
