"""The operator's commands refuse what cannot work, with a message saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import cli


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of an embedded (SQLite) installation in a temporary directory."""
    monkeypatch.setenv("SHIPFLOOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'shipfloor.db'}")
    monkeypatch.setenv("SECRET_KEY", "cli-test")
    return tmp_path


def test_several_workers_need_postgresql(
    sqlite_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Live events cross processes only through PostgreSQL: on SQLite, one worker.
    assert cli.main(["run", "--workers", "2", "--no-migrate"]) == 2
    assert "PostgreSQL" in capsys.readouterr().err


def test_backup_of_a_missing_database_fails_clearly(
    sqlite_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["backup", str(sqlite_env / "out.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not (sqlite_env / "out.db").exists()


def test_restore_of_a_file_that_is_not_a_backup_fails_clearly(
    sqlite_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = sqlite_env / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    assert cli.main(["restore", str(junk)]) == 1
    assert "restore failed" in capsys.readouterr().err
    assert cli.main(["restore", str(sqlite_env / "absent.backup")]) == 1
    assert "no backup at" in capsys.readouterr().err
