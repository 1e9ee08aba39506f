"""Every failure of a `csip` command is one line and an exit code; `--debug` shows the traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from csip import cli
from csip.cli import main
from tests.conftest import PG_URL

TRACKER = "Ref,Priority,Action,Owner,Due date\n1.1,1,Audit case files,jo@council.example,31/08/2017\n"


def failure(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines csip printed about the failure (logging may add lines of its own)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("csip: ")]


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSIP_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert main(["migrate"]) == 2
    (line,) = failure(capsys)
    assert line.startswith("csip: cannot use the database (")
    assert "check CSIP_DATABASE_URL" in line


def test_a_database_csip_may_not_write_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSIP_DATABASE_URL", "sqlite:///csip.db")
    assert main(["migrate"]) == 0
    (tmp_path / "plan.csv").write_text(TRACKER)
    monkeypatch.setenv("CSIP_DATABASE_URL", "sqlite:///file:csip.db?mode=ro&uri=true")
    assert main(["import", "plan.csv"]) == 2
    assert failure(capsys) == [
        "csip: cannot use the database (attempt to write a readonly database): check "
        "CSIP_DATABASE_URL, that the database is running, and that csip may write to it"
    ]


def test_a_setting_that_is_not_valid_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSIP_TICK_MINUTES", "every five")
    assert main(["migrate"]) == 2
    (line,) = failure(capsys)
    assert line.startswith("csip: a setting is not valid (CSIP_TICK_MINUTES: Input should be a valid integer")


def test_anything_else_is_one_line_and_the_traceback_is_there_with_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSIP_DATABASE_URL", f"sqlite:///{tmp_path / 'csip.db'}")

    def broken(*_args: object) -> int:
        raise RuntimeError("the disk said no\nand more")

    monkeypatch.setattr(cli, "run_migrate", broken)
    assert main(["migrate"]) == 1
    assert failure(capsys) == [
        "csip: something went wrong (RuntimeError: the disk said no); run it again with --debug to see where"
    ]
    with pytest.raises(RuntimeError, match="the disk said no"):
        main(["--debug", "migrate"])


@pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL")
def test_a_database_that_is_not_there_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert PG_URL is not None
    monkeypatch.setenv("CSIP_DATABASE_URL", PG_URL.rsplit("/", 1)[0] + "/no_such_database")
    assert main(["migrate"]) == 2
    (line,) = failure(capsys)
    assert 'database "no_such_database" does not exist' in line


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "CSIP_DATABASE_URL 'garbage' is not a database URL"),
        ("mysql://me@host/plan", "CSIP_DATABASE_URL names 'mysql': csip runs on SQLite"),
        (
            "sqlite:////no/such/folder/csip.db",
            "the folder for the SQLite database, /no/such/folder, does not exist",
        ),
    ],
)
def test_a_database_url_csip_cannot_use_is_one_line(
    url: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSIP_DATABASE_URL", url)
    assert main(["migrate"]) == 2
    (line,) = failure(capsys)
    assert line.startswith(f"csip: {says}")
    assert not Path("/no/such/folder").exists()  # refused, not created somewhere


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("csip ")
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = capsys.readouterr().out
    assert "csip demo" in shown


def test_help_lists_every_setting_csip_reads() -> None:
    from csip.settings import Settings

    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        variable = alias.choices[0] if alias is not None else f"CSIP_{name.upper()}"  # type: ignore[union-attr]
        assert f"  {variable} " in cli.ENVIRONMENT, variable
