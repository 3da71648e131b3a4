"""--engine processes: the same grading in worker processes on this machine gives the same files."""

from simulator.batch.engine import Graders
from simulator.batch.graders import GraderSpec
from simulator.batch.runner import PROCESSES_FROM_TURNS, BatchOptions, chosen_engine
from simulator.batch.tasks import task_spec
from tests.test_batch_support import (
    DATA,
    SAMPLE_LISTENERS,
    AsyncEchoGrader,
    EchoGrader,
    make_corpus,
    output_bytes,
    read_rows,
    run,
)


def test_worker_processes_write_the_same_files_as_the_local_engine(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=12, listener_turns=60)
    run([corpus, DATA], tmp_path / "local", listeners=SAMPLE_LISTENERS)
    summary = run(
        [corpus, DATA], tmp_path / "processes", listeners=SAMPLE_LISTENERS, engine="processes", workers=2
    )
    assert summary.graded == 12 * 60 + 34 and summary.failed == 0
    assert output_bytes(tmp_path / "processes") == output_bytes(tmp_path / "local")


def test_worker_processes_run_a_grader_named_by_import_path_with_the_concurrency_shared(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=3, listener_turns=4)
    summary = run(
        [corpus],
        tmp_path / "out",
        grader="tests.test_batch_support:slow_grader",
        engine="processes",
        workers=2,
    )
    rows = read_rows(tmp_path / "out" / "turns.csv")
    assert summary.graded == 12 and {row["grader"] for row in rows} == {"slow-echo@1"}


def test_a_chunk_whose_grader_raises_in_a_worker_is_failed_with_the_reason_and_the_rest_graded(tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=4, listener_turns=300)
    summary = run(
        [corpus], tmp_path / "out", grader="tests.test_batch_support:exploding_grader", engine="processes"
    )
    assert (summary.graded, summary.failed) == (256, 1200 - 256)  # the first chunk of 256 turns is fine
    rows = read_rows(tmp_path / "out" / "turns.csv")
    failed = [row for row in rows if row["status"] == "failed"]
    assert failed and {row["error"] for row in failed} == {"RuntimeError: grader exploded"}


def test_each_task_gets_its_share_of_the_request_rate():
    assert GraderSpec.model_validate_json(task_spec(GraderSpec(kind="llm", rpm=600), 4)).rpm == 150
    assert GraderSpec.model_validate_json(task_spec(GraderSpec(kind="llm"), 4)).rpm is None


def options(**kwargs) -> BatchOptions:
    return BatchOptions(inputs=[], out="out", **{"engine": "auto", **kwargs})


def test_auto_uses_worker_processes_only_for_a_large_job_graded_in_process():
    offline, model = Graders(EchoGrader()), Graders(AsyncEchoGrader())
    large, small = PROCESSES_FROM_TURNS, PROCESSES_FROM_TURNS - 1
    assert chosen_engine(options(workers=2), offline, large, given=False) == "processes"
    assert chosen_engine(options(workers=2), offline, small, given=False) == "local"
    assert chosen_engine(options(workers=1), offline, large, given=False) == "local"
    assert chosen_engine(options(workers=2), model, large, given=False) == "local"
    assert chosen_engine(options(workers=2), offline, large, given=True) == "local"
    assert chosen_engine(options(engine="ray", workers=2), offline, small, given=True) == "ray"
