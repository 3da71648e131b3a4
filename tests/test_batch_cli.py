"""`listenlab batch` on the command line: options, exit codes, summary, kill-and-resume in a subprocess."""

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simulator.batch.jobdb import DB_NAME
from simulator.cli_batch import register
from tests.test_batch_support import DATA, AsyncEchoGrader, make_corpus, output_bytes, read_rows, run

ROOT = Path(__file__).resolve().parents[1]
FALLBACK_APP = (
    "import typer; from simulator.cli_batch import register; app = typer.Typer(); "
    "app.callback()(lambda: None); register(app); app()"
)
runner = CliRunner()


def cli_has_batch() -> bool:
    """Whether simulator.cli already wires the batch command in."""
    from simulator.cli import app

    return any((command.name or command.callback.__name__) == "batch" for command in app.registered_commands)


def batch_app() -> typer.Typer:
    if cli_has_batch():
        from simulator.cli import app

        return app
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def batch_command() -> list[str]:
    """`python -m simulator batch`, or the same command on a small app until the CLI wiring lands."""
    if cli_has_batch():
        return [sys.executable, "-m", "simulator", "batch"]
    return [sys.executable, "-c", FALLBACK_APP, "batch"]


def test_batch_prints_a_summary_and_writes_the_outputs(tmp_path):
    result = runner.invoke(
        batch_app(),
        [
            "batch",
            str(DATA),
            "--out",
            str(tmp_path / "out"),
            "-l",
            "Maria Lopez",
            "-l",
            "coach",
            "-l",
            "learner",
            "-l",
            "therapist",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "transcripts graded" in result.stdout and "34  (34 in this run)" in result.stdout
    assert len(read_rows(tmp_path / "out" / "turns.csv")) == 34


def test_without_a_listener_the_ambiguous_transcripts_are_skipped_with_their_speakers(tmp_path):
    result = runner.invoke(batch_app(), ["batch", str(DATA), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    reasons = [row["reason"] for row in read_rows(tmp_path / "out" / "skipped.csv")]
    assert any("speakers found: Maria Lopez (5 turns), Tom Becker (4 turns)" in reason for reason in reasons)
    assert "zoom_maria_tom.vtt: cannot tell who the listener is; speakers found: Maria Lopez" in result.stderr


def test_a_different_input_into_the_same_folder_is_a_usage_error(tmp_path):
    assert (
        runner.invoke(
            batch_app(), ["batch", str(DATA / "coaching_call.csv"), "-o", str(tmp_path / "out")]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        batch_app(), ["batch", str(DATA / "intake_notes.txt"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and "holds results of a different input" in result.stderr


def test_nothing_to_grade_exits_non_zero(tmp_path):
    result = runner.invoke(batch_app(), ["batch", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "inputs skipped" in result.stdout
    assert (
        "Nothing to grade. Skipped:" in result.stderr
        and "missing.csv: no such file or folder" in result.stderr
    )


def test_llm_grader_without_a_server_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(batch_app(), ["batch", str(DATA), "-o", str(tmp_path / "out"), "--grader", "llm"])
    assert result.exit_code == 2 and "OPENAI_BASE_URL" in result.stderr
    assert not (tmp_path / "out").exists()


def graded_so_far(out: Path) -> int:
    if not (out / DB_NAME).exists():
        return 0
    with sqlite3.connect(out / DB_NAME) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM turns WHERE status = 'ok'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def start_batch(corpus: Path, out: Path) -> subprocess.Popen:
    command = [
        *batch_command(),
        str(corpus),
        "--out",
        str(out),
        "--grader",
        "tests.test_batch_support:slow_grader",
        "--concurrency",
        "2",
    ]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_grades(out: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while graded_so_far(out) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch did not make progress"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_a_stopped_run_resumes_with_the_same_command_and_gives_the_same_files(tmp_path, stop):
    corpus = make_corpus(tmp_path / "in", transcripts=30, listener_turns=10)
    out = tmp_path / "out"
    process = start_batch(corpus, out)
    wait_for_grades(out, 60, process)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    saved = graded_so_far(out)
    assert 60 <= saved < 300
    if stop == signal.SIGINT:
        assert process.returncode == 130 and "run the same command to go on" in stderr
    resumed = start_batch(corpus, out)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert f"300  ({300 - saved} in this run)" in stdout
    run([corpus], tmp_path / "reference", graders=AsyncEchoGrader(delay=0, name="slow-echo@1"))
    assert output_bytes(out) == output_bytes(tmp_path / "reference")
