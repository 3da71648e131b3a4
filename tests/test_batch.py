"""Batch grading end to end with the local engine: outputs, determinism, resume, failures, concurrency."""

import json
import sqlite3

import pytest

from simulator.batch import JobConflict
from simulator.batch.jobdb import DB_NAME
from simulator.scoring import session_metrics
from simulator.transcripts import load_transcript
from tests.test_batch_support import (
    DATA,
    OUTPUTS,
    SAMPLE_LISTENERS,
    AsyncEchoGrader,
    EchoGrader,
    echo_grade,
    make_corpus,
    output_bytes,
    read_rows,
    run,
)


def test_sample_folder_grades_every_listener_turn_into_all_outputs(tmp_path):
    summary = run([DATA], tmp_path / "out", listeners=SAMPLE_LISTENERS)
    out = tmp_path / "out"
    assert all((out / name).is_file() for name in OUTPUTS)
    turns = read_rows(out / "turns.csv")
    assert summary.turns == summary.graded == len(turns) == 34 and summary.failed == 0
    assert list(turns[0])[:9] == [
        "transcript_id",
        "index",
        "speaker",
        "text",
        "labels",
        "primary",
        "score",
        "rationale",
        "grader",
    ]
    assert {row["speaker"] for row in turns} == {"coach", "learner", "Therapist", "Coach", "Maria Lopez"}
    assert all(
        row["grader"].startswith("offline@") and row["primary"] in row["labels"].split(";") for row in turns
    )
    jsonl = [json.loads(line) for line in (out / "turns.jsonl").read_text().splitlines()]
    assert [(r["transcript_id"], r["index"]) for r in jsonl] == [
        (r["transcript_id"], int(r["index"])) for r in turns
    ]
    assert isinstance(jsonl[0]["labels"], list)


def test_transcripts_csv_holds_the_session_metrics_of_each_transcript(tmp_path):
    run([DATA / "roleplay_week2.srt"], tmp_path / "out", graders=EchoGrader())
    [row] = read_rows(tmp_path / "out" / "transcripts.csv")
    transcript = load_transcript(DATA / "roleplay_week2.srt")
    requests = [turn.request() for turn in transcript.listener_turns("Coach")]
    expected = session_metrics([echo_grade(r, "echo@1") for r in requests], *transcript.texts("Coach"))
    assert row["listener"] == "Coach" and row["turns"] == "8"
    assert int(row["learner_turns"]) == expected.learner_turns == 4
    assert float(row["reflection_to_question"]) == pytest.approx(expected.reflection_to_question)
    assert row["rq_band"] == expected.rq_band
    assert float(row["talk_balance"]) == pytest.approx(expected.talk_balance, abs=1e-4)
    assert int(row["label_open_question"]) == expected.label_counts["open_question"]


def test_two_runs_give_byte_identical_files_with_the_offline_grader(tmp_path):
    run([DATA], tmp_path / "a", listeners=SAMPLE_LISTENERS)
    run([DATA], tmp_path / "b", listeners=SAMPLE_LISTENERS)
    assert output_bytes(tmp_path / "a") == output_bytes(tmp_path / "b")


def test_running_a_finished_job_again_grades_nothing_and_rewrites_the_same_files(tmp_path):
    run([DATA], tmp_path / "out", listeners=SAMPLE_LISTENERS)
    before = output_bytes(tmp_path / "out")
    summary = run([DATA], tmp_path / "out", listeners=SAMPLE_LISTENERS)
    assert summary.resumed and summary.graded_now == 0
    assert output_bytes(tmp_path / "out") == before


def test_an_interrupted_run_resumes_grading_only_what_is_missing(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=6, listener_turns=100)
    first = EchoGrader(interrupt_after=2)
    with pytest.raises(KeyboardInterrupt):
        run([corpus], tmp_path / "out", graders=first)
    saved = (
        sqlite3.connect(tmp_path / "out" / DB_NAME)
        .execute("SELECT COUNT(*) FROM turns WHERE status = 'ok'")
        .fetchone()[0]
    )
    assert saved == len(first.requests) == 512  # two committed chunks of 256
    second = EchoGrader()
    summary = run([corpus], tmp_path / "out", graders=second)
    assert summary.resumed and summary.graded_now == 600 - 512 == len(second.requests)
    run([corpus], tmp_path / "fresh", graders=EchoGrader())
    assert output_bytes(tmp_path / "out") == output_bytes(tmp_path / "fresh")


def test_a_grader_crash_is_recorded_as_failed_and_retried_by_the_next_run(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=2, listener_turns=3)
    bad = "It sounds like you're exhausted. (0)"
    summary = run([corpus], tmp_path / "out", graders=AsyncEchoGrader(fail_on=frozenset({bad})))
    rows = read_rows(tmp_path / "out" / "turns.csv")
    failed = [row for row in rows if row["status"] == "failed"]
    assert summary.failed == len(failed) == 1 and len(rows) == 6
    assert failed[0]["text"] == bad and failed[0]["error"] == "model said no"
    assert "could not be graded" in (tmp_path / "out" / "report.html").read_text()
    retry = AsyncEchoGrader()
    summary = run([corpus], tmp_path / "out", graders=retry)
    assert [r.text for r in retry.requests] == [bad] and summary.failed == 0 and summary.graded == 6


def test_an_exception_in_a_grader_fails_its_turns_with_the_reason(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=1, listener_turns=2)
    run(
        [corpus],
        tmp_path / "out",
        graders=EchoGrader(fail_on=frozenset({"What has that been like for you? (1)"})),
    )
    rows = read_rows(tmp_path / "out" / "turns.csv")
    assert [row["status"] for row in rows] == ["failed", "failed"]
    assert rows[0]["error"] == "RuntimeError: grader exploded"


def test_concurrency_is_bounded_and_used(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=4, listener_turns=10)
    grader = AsyncEchoGrader(delay=0.02)
    run([corpus], tmp_path / "out", graders=grader, concurrency=5)
    assert grader.most_in_flight == 5 and len(grader.requests) == 40


def test_progress_is_reported_per_phase(tmp_path):
    events = []

    class Recorder:
        def start(self, phase, total, done=0):
            events.append(("start", phase, total, done))

        def advance(self, done, failed=0):
            events.append(("advance", done, failed))

    run([DATA / "coaching_call.csv", DATA / "intake_notes.txt"], tmp_path / "out", progress=Recorder())
    assert events[0] == ("start", "Reading", 2, 0) and ("start", "Grading", 9, 0) in events
    assert sum(e[1] for e in events[events.index(("start", "Grading", 9, 0)) :] if e[0] == "advance") == 9


def test_another_input_into_the_same_folder_is_refused_before_any_work(tmp_path):
    run([DATA / "coaching_call.csv"], tmp_path / "out")
    before = output_bytes(tmp_path / "out")
    grader = EchoGrader()
    with pytest.raises(
        JobConflict, match=r"holds results of a different input \(grader 'offline@.*' -> 'echo@1'\)"
    ):
        run([DATA / "coaching_call.csv"], tmp_path / "out", graders=grader)
    with pytest.raises(JobConflict, match=r"different input \(1 new, 1 no longer given\)"):
        run([DATA / "intake_notes.txt"], tmp_path / "out")
    assert grader.requests == [] and output_bytes(tmp_path / "out") == before


def test_restart_discards_the_old_job(tmp_path):
    run([DATA / "coaching_call.csv"], tmp_path / "out")
    summary = run([DATA / "intake_notes.txt"], tmp_path / "out", restart=True)
    assert not summary.resumed and {
        r["transcript_id"] for r in read_rows(tmp_path / "out" / "turns.csv")
    } == {"intake_notes.txt"}


def test_a_folder_that_is_not_a_job_is_never_written_into(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.docx").write_text("precious")
    with pytest.raises(JobConflict, match="not empty and holds no batch job"):
        run([DATA / "coaching_call.csv"], tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["thesis.docx"]


def test_an_output_folder_inside_the_input_folder_is_not_read_as_input(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=2, listener_turns=2)
    run([corpus], corpus / "results")
    summary = run([corpus], corpus / "results")
    assert summary.resumed and summary.transcripts == 2 and summary.skipped == 0


@pytest.mark.parametrize("restart", [False, True], ids=["plain", "restart"])
def test_a_folder_that_was_never_a_batch_output_is_refused_untouched_even_with_restart(tmp_path, restart):
    out = tmp_path / "out"
    out.mkdir()
    mine = {"turns.csv": "my own table", "report.html": "<p>my report</p>", "thesis.docx": "precious"}
    for name, text in mine.items():
        (out / name).write_text(text)
    with pytest.raises(JobConflict, match="holds no batch job"):
        run([DATA / "coaching_call.csv"], out, restart=restart)
    assert {p.name: p.read_text() for p in out.iterdir()} == mine


def test_a_file_named_like_the_job_database_that_is_not_one_is_refused_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / DB_NAME).write_text("not a database")
    (out / "turns.csv").write_text("my own table")
    with pytest.raises(JobConflict, match="is not a listenlab batch job"):
        run([DATA / "coaching_call.csv"], out, restart=True)
    assert sorted(p.name for p in out.iterdir()) == [DB_NAME, "turns.csv"]
    assert (out / DB_NAME).read_text() == "not a database"


def test_restart_in_a_job_folder_clears_the_job_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    run([DATA / "coaching_call.csv"], out)
    (out / "notes.txt").write_text("kept")
    summary = run([DATA / "intake_notes.txt"], out, restart=True)
    assert not summary.resumed and (out / "notes.txt").read_text() == "kept"
    assert {r["transcript_id"] for r in read_rows(out / "turns.csv")} == {"intake_notes.txt"}
