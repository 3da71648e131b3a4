"""`listenlab batch --grader llm` on the command line against the local server: summary counts, early stop."""

import re

import pytest
from typer.testing import CliRunner

from tests.fixtures_llm import _openai_server_for_session, openai_server  # noqa: F401 - fixtures
from tests.test_batch_cli import batch_app
from tests.test_batch_llm import grading_responder
from tests.test_batch_support import make_corpus, read_rows

runner = CliRunner()


@pytest.fixture
def server(openai_server, monkeypatch, tmp_path):  # noqa: F811 - the fixture from tests.fixtures_llm
    openai_server.responder = grading_responder()
    monkeypatch.chdir(tmp_path)  # no .env of the project's own
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("LISTENLAB_MODEL", "test-model")
    monkeypatch.setenv("LISTENLAB_TIMEOUT", "2")
    return openai_server


def summary_value(stdout: str, name: str) -> str:
    """The value cell of one row of the closing table."""
    match = re.search(rf"│ {name} +│ (.*?) *│", stdout)
    assert match, f"no row {name!r} in:\n{stdout}"
    return " ".join(match.group(1).split())


def batch(corpus, out, *options: str):
    return runner.invoke(batch_app(), ["batch", str(corpus), "-o", str(out), "--grader", "llm", *options])


def test_when_every_call_fails_the_summary_counts_them_as_failed_not_graded(server, tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=2, listener_turns=11)
    server.fail_next("unauthorized", times=1000)
    result = batch(corpus, tmp_path / "out", "--concurrency", "4")
    assert result.exit_code == 1, result.output
    assert summary_value(result.stdout, "graded ok") == "0 (0 in this run)"
    assert summary_value(result.stdout, "failed").startswith("22 (22 in this run)")
    assert summary_value(result.stdout, "inputs skipped") == "0"
    rows = read_rows(tmp_path / "out" / "turns.csv")
    assert len(rows) == 22 and all("401" in row["error"] for row in rows)


def test_a_resumed_run_counts_this_runs_grades_and_failures_apart(server, tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=1, listener_turns=4)
    server.fail_next("unauthorized", times=4)
    assert batch(corpus, tmp_path / "out", "--concurrency", "1").exit_code == 1
    result = batch(corpus, tmp_path / "out", "--concurrency", "1")
    assert result.exit_code == 0, result.output
    assert summary_value(result.stdout, "graded ok") == "4 (4 in this run)"
    assert summary_value(result.stdout, "failed") == "0 (0 in this run)"


@pytest.mark.parametrize(
    ("fault", "hint"), [("unauthorized", "OPENAI_API_KEY"), ("not_found", "LISTENLAB_MODEL")]
)
def test_max_failures_stops_a_misconfigured_run_early_with_the_reason(server, tmp_path, fault, hint):
    corpus = make_corpus(tmp_path / "in", transcripts=4, listener_turns=10)
    server.fail_next(fault, times=1000)
    result = batch(corpus, tmp_path / "out", "--concurrency", "1", "--max-failures", "5")
    assert result.exit_code == 1, result.output
    assert len(server.requests) == 5
    message = " ".join(result.stderr.split())
    assert "stopped after 5 failed grades (--max-failures)" in message and hint in message
    assert summary_value(result.stdout, "failed").startswith("5 (5 in this run)")
    assert summary_value(result.stdout, "not graded yet").startswith("35")
    server.reset()
    server.responder = grading_responder()
    resumed = batch(corpus, tmp_path / "out", "--concurrency", "4", "--max-failures", "5")
    assert resumed.exit_code == 0, resumed.output
    assert summary_value(resumed.stdout, "graded ok") == "40 (40 in this run)"
    assert len(server.requests) == 40
