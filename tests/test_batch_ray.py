"""--engine ray: the same grading as Ray tasks on a local Ray instance gives the same files."""

import pytest

from simulator.batch.ray_engine import task_shape, use_process_token
from tests.test_batch_support import DATA, SAMPLE_LISTENERS, make_corpus, output_bytes, read_rows, run

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
pytestmark = pytest.mark.ray


def test_the_engine_starts_and_stops_a_local_ray_when_none_is_running(tmp_path):
    assert not ray.is_initialized()
    summary = run([DATA / "coaching_call.csv"], tmp_path / "out", engine="ray")
    assert summary.graded == 5 and not ray.is_initialized()


@pytest.fixture(scope="module")
def local_ray():
    use_process_token()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_engine_writes_the_same_files_as_the_local_engine(local_ray, tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=12, listener_turns=40)
    run([corpus, DATA], tmp_path / "local", listeners=SAMPLE_LISTENERS)
    summary = run([corpus, DATA], tmp_path / "ray", listeners=SAMPLE_LISTENERS, engine="ray", concurrency=2)
    assert summary.graded == 12 * 40 + 34 and summary.failed == 0
    assert output_bytes(tmp_path / "ray") == output_bytes(tmp_path / "local")


def test_ray_tasks_run_a_grader_named_by_import_path(local_ray, tmp_path):
    corpus = make_corpus(tmp_path / "in", transcripts=3, listener_turns=4)
    summary = run(
        [corpus], tmp_path / "out", grader="tests.test_batch_support:slow_grader", engine="ray", concurrency=4
    )
    rows = read_rows(tmp_path / "out" / "turns.csv")
    assert summary.graded == 12 and {row["grader"] for row in rows} == {"slow-echo@1"}


def test_task_shape_splits_concurrency_between_tasks():
    assert task_shape(units=100, concurrency=32, cpus=4, is_async=True) == (4, 8, 25)
    assert task_shape(units=3, concurrency=8, cpus=16, is_async=False) == (8, 1, 1)
