"""`listenlab batch` on the command line: options, exit codes, summary, kill-and-resume in a subprocess."""

import csv
import json
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


FORMULA_TEXTS = [
    '=HYPERLINK("http://example.com","open me")',
    "+1 555 0100 called again",
    "-so you felt left out?",
    "@everyone should hear this",
]


def formula_corpus(folder: Path) -> Path:
    """One transcript whose every turn starts like a spreadsheet formula, in a file whose name does too."""
    folder.mkdir(parents=True)
    lines = [("client", FORMULA_TEXTS[0]), ("coach", FORMULA_TEXTS[1])]
    lines += [("client", FORMULA_TEXTS[2]), ("coach", FORMULA_TEXTS[3])]
    with (folder / "=cmd.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["speaker", "text"])
        writer.writerows(lines)
    (folder / "@notes.pptx").write_text("not a transcript")
    return folder


def raw_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_text_that_starts_like_a_formula_is_text_in_the_csv_files_and_exact_in_the_jsonl(tmp_path):
    corpus = formula_corpus(tmp_path / "in")
    result = runner.invoke(batch_app(), ["batch", str(corpus), "--out", str(tmp_path / "out"), "-l", "coach"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    turns = raw_rows(out / "turns.csv")
    assert [(row["text"], row["context"]) for row in turns] == [
        ("'" + FORMULA_TEXTS[1], "'" + FORMULA_TEXTS[0]),
        ("'" + FORMULA_TEXTS[3], "'" + FORMULA_TEXTS[2]),
    ]
    assert {row["transcript_id"] for row in turns} == {"'=cmd.csv"}
    [transcript] = raw_rows(out / "transcripts.csv")
    assert transcript["transcript_id"] == "'=cmd.csv" and transcript["source"].endswith("=cmd.csv")
    [skipped] = raw_rows(out / "skipped.csv")
    assert skipped["transcript_id"] == "'@notes.pptx"
    jsonl = [json.loads(line) for line in (out / "turns.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["transcript_id"], r["text"], r["context"]) for r in jsonl] == [
        ("=cmd.csv", FORMULA_TEXTS[1], FORMULA_TEXTS[0]),
        ("=cmd.csv", FORMULA_TEXTS[3], FORMULA_TEXTS[2]),
    ]


def test_restart_refuses_a_folder_that_was_never_a_batch_output_and_deletes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("turns.csv", "report.html", "skipped.csv", "thesis.docx"):
        (out / name).write_text(f"my own {name}")
    result = runner.invoke(
        batch_app(), ["batch", str(DATA / "coaching_call.csv"), "-o", str(out), "--restart"]
    )
    assert result.exit_code == 2 and "holds no batch job" in result.stderr
    assert {p.name: p.read_text() for p in out.iterdir()} == {
        name: f"my own {name}" for name in ("turns.csv", "report.html", "skipped.csv", "thesis.docx")
    }


@pytest.mark.parametrize("rate", ["inf", "nan", "-inf", "0"])
def test_rpm_must_be_a_finite_number(tmp_path, rate):
    result = runner.invoke(
        batch_app(), ["batch", str(DATA / "coaching_call.csv"), "-o", str(tmp_path / "out"), "--rpm", rate]
    )
    assert result.exit_code == 2, result.output
    message = flat(result.output)
    assert "--rpm" in message and "give a finite number of requests per minute" in message
    assert not (tmp_path / "out").exists()


def flat(output: str) -> str:
    """CLI output with the box drawing of error panels removed and the lines joined."""
    return " ".join(output.replace("│", " ").split())


def test_the_progress_bar_shows_the_rate_the_failures_so_far_and_an_eta():
    from io import StringIO

    from rich.console import Console

    from simulator.cli_batch import RichProgress

    now = [0.0]
    console = Console(file=StringIO(), width=200, force_terminal=False)
    progress = RichProgress(console, get_time=lambda: now[0])
    progress.start("Grading", total=1000, done=100)
    for second in range(10):
        now[0] += 1.0
        progress.advance(20, failed=1 if second % 2 else 0)
    console.print(progress.bar.get_renderable())
    line = " ".join(console.file.getvalue().split())
    assert "300/1000" in line and "20 turns/s" in line and "5 failed" in line
    assert "eta 0:00:35" in line  # 700 turns left at 20 turns/s
