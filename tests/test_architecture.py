"""The dependency rule, and the schema the migrations build matching the models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from storage.tables import Base

ROOT = Path(__file__).parent.parent
FORBIDDEN = {
    "plan": {"slack_sdk", "slack_bolt", "sqlalchemy", "alembic", "bot", "storage", "csip"},
    "storage": {"slack_sdk", "slack_bolt", "bot", "schedules", "reports"},
    "reports": {"slack_sdk", "slack_bolt", "sqlalchemy", "bot", "storage", "schedules", "csip"},
    "bot": {"schedules"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_follow_the_dependency_rule(package: str) -> None:
    files = list((ROOT / package).rglob("*.py"))
    assert files
    broken = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in files
        if imported_modules(path) & FORBIDDEN[package]
    }
    assert broken == {}


def test_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
