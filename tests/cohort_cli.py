"""Running the cohort commands in tests: a private database of each kind, and one call per command."""

import csv
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cohort_db_url(request, tmp_path) -> str:
    """An empty database of each kind for the commands to use."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cohorts.db'}"
    return request.getfixturevalue("postgres_url")


class Commands:
    """`listenlab ...` on one database, with the scripted speaker and the offline grader."""

    def __init__(self, db_url: str, tmp_path: Path, **variables: str):
        self.db_url, self.tmp_path = db_url, tmp_path
        self.env = {
            **os.environ,
            "LISTENLAB_DB_URL": db_url,
            "LISTENLAB_SPEAKER": "scripted",
            "LISTENLAB_GRADER": "offline",
            "LISTENLAB_BASE_URL": "",
            **variables,
        }

    def __call__(self, *arguments: str, input: str | None = None):
        return runner.invoke(app, list(arguments), input=input, env=self.env)

    def ok(self, *arguments: str, input: str | None = None):
        """Run a command that must succeed; its result."""
        result = self(*arguments, input=input)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *arguments: str) -> object:
        return json.loads(self.ok(*arguments, "--json").stdout)

    def add_user(self, name: str, role: str = "learner") -> None:
        self.ok("users", "add", name, "--role", role, "--password-stdin", input=f"{name}-password\n")

    def chat(self, user: str, assignment: int, *turns: str) -> dict:
        """A scripted chat of the user's for the assignment; the session as printed."""
        script = self.tmp_path / f"{user}-{assignment}.txt"
        script.write_text("\n".join(turns) + "\n", encoding="utf-8")
        return self.json("chat", "--user", user, "--assignment", str(assignment), "--script", str(script))

    def gradebook(self, cohort: str, *more: str) -> list[dict]:
        path = self.tmp_path / "gradebook.csv"
        self.ok("cohort", "report", cohort, "--csv", str(path), *more)
        with open(path, newline="", encoding="utf-8") as stream:
            return list(csv.DictReader(stream))


def refused_in_one_line(result, words: str) -> None:
    """Exit code 2, one line on stderr that says `words`, no traceback."""
    assert result.exit_code == 2, result.output
    assert words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
