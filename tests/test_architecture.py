"""The dependency rule (import-linter's contracts in pyproject.toml), and the schema the
migrations build matching the models."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData

from storage.tables import Base

ROOT = Path(__file__).parent.parent
PACKAGES = ("csip", "schedules", "bot", "sheets", "reports", "storage", "plan")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the packages found in ``tree``, with the project's own contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_packages_keep_the_import_contracts() -> None:
    linted = lint_imports(ROOT)
    assert linted.returncode == 0, linted.stdout


# One import against the rule in each of several modules; each must be reported on its own.
AGAINST_THE_RULE = [
    ("plan/rules.py", "from schedules.config import Channels", "plan is not allowed to import schedules"),
    ("plan/model.py", "import sqlalchemy", "plan is not allowed to import sqlalchemy"),
    ("storage/store.py", "from bot.config import Access", "storage is not allowed to import bot"),
    ("bot/requests.py", "from csip.settings import Settings", "bot is not allowed to import csip"),
    ("bot/views.py", "from storage.store import SqlPlanStore", "bot is not allowed to import storage"),
    ("schedules/tick.py", "import sqlalchemy", "schedules is not allowed to import sqlalchemy"),
    ("reports/render.py", "from storage import states", "reports is not allowed to import storage"),
    ("sheets/rows.py", "from bot.config import Access", "sheets is not allowed to import bot"),
]


def test_each_import_against_the_rule_breaks_a_contract(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    for module, line, _ in AGAINST_THE_RULE:
        with (tmp_path / module).open("a") as source:
            source.write(f"\n{line}  # noqa\n")
    linted = lint_imports(tmp_path)
    assert linted.returncode == 1, linted.stdout
    reported = " ".join(linted.stdout.split())  # import-linter wraps long lines
    missing = [broken for _, _, broken in AGAINST_THE_RULE if broken not in reported]
    assert missing == [], linted.stdout


def test_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    """csip's models, and the tables slack_sdk's installation and OAuth state stores describe:
    migration 0007 writes those out, so a slack_sdk that changed them fails here."""
    described = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(described)
    SQLAlchemyInstallationStore.build_installations_table(described, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(described, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(described, "slack_oauth_states")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), described)
    assert differences == []
