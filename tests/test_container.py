"""The image and the compose file, checked as far as this machine can without a Docker engine:
the image installs the locked dependencies and runs a real `csip` command as a user without
privileges, its health check asks a route csip serves, and compose names only real settings."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.health import health_routes
from csip.cli import _parser
from csip.settings import Settings

ROOT = Path(__file__).parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) in order, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        (line.split(maxsplit=1)[0], line.split(maxsplit=1)[1] if " " in line else "")
        for line in joined.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def exec_form(arguments: str) -> list[str]:
    return list(yaml.safe_load(arguments))


def test_the_image_is_built_in_two_stages_from_a_slim_base() -> None:
    bases = [args for name, args in instructions() if name == "FROM"]
    assert len(bases) == 2
    assert all(base.split()[0].endswith("-slim") for base in bases)


def test_dependencies_come_from_the_lock_file_with_their_hashes() -> None:
    runs = " ".join(args for name, args in instructions() if name == "RUN")
    assert "--require-hashes --requirement requirements.lock" in runs
    assert "--no-index" in runs  # the final stage installs only the wheels built from the lock
    locked = {
        canonicalize_name(line.split("==")[0])
        for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]}
    assert wanted <= locked, wanted - locked


def test_it_runs_csip_serve_as_a_user_without_privileges() -> None:
    found = dict(instructions())
    assert found["USER"] == "csip"
    command = exec_form(found["ENTRYPOINT"]) + exec_form(found["CMD"])
    assert command[:2] == ["csip", "serve"]
    parsed = _parser().parse_args(command[1:])  # the CLI takes what the image runs
    assert parsed.port == 3000
    assert "3000" in found["EXPOSE"]


def test_the_health_check_asks_readyz_on_the_served_port() -> None:
    check = dict(instructions())["HEALTHCHECK"]
    command = exec_form(check[check.index("CMD") + 3 :].strip())
    assert "http://127.0.0.1:3000/readyz" in shlex.join(command)
    assert "/readyz" in {route.path for route in health_routes(None)}


def test_compose_runs_two_replicas_on_postgresql_with_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    csip = compose["services"]["csip"]
    assert csip["deploy"]["replicas"] == 2
    assert csip["depends_on"]["postgres"]["condition"] == "service_healthy"
    environment = csip["environment"]
    assert environment["CSIP_DATABASE_URL"].startswith("postgresql://")
    real = {
        (field.validation_alias.choices[0] if field.validation_alias else f"CSIP_{name.upper()}")  # type: ignore[union-attr]
        for name, field in Settings.model_fields.items()
    }
    assert set(environment) <= real, set(environment) - real
