"""The process engine: the local engine's grading spread over worker processes on this machine."""

import gc
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from simulator.batch.engine import Graders, OnResult
from simulator.batch.graders import GraderSpec
from simulator.batch.tasks import batches_of, dispatch, grade_task, task_shape, task_spec
from simulator.batch.units import Unit, UnitResult

QUEUED_PER_WORKER = 2  # a task waiting behind each running one keeps the workers busy


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_method() -> str:
    """Fork where the platform has it (a worker starts in milliseconds, with this process's imports);
    elsewhere spawn. Workers build their own graders from the spec either way."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class ProcessTasks:
    """A TaskPool of worker processes on this machine."""

    kind = "worker process"

    def __init__(self, workers: int, spec_json: str, inner: int):
        context = multiprocessing.get_context(start_method())
        gc.freeze()  # forked workers then never scan (and copy) the objects this process already holds
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self.spec_json, self.inner = spec_json, inner

    def submit(self, batch: Sequence[Unit]) -> Future:
        return self.executor.submit(grade_task, self.spec_json, list(batch), self.inner)

    def wait_one(self, running: list[Future]) -> Future:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        return next(iter(done))

    def result(self, handle: Future) -> list[UnitResult]:
        return handle.result()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()


def run_processes(
    units: list[Unit], spec: GraderSpec, graders: Graders, concurrency: int, workers: int, on_result: OnResult
) -> None:
    """Grade units in `workers` processes; results are handed over here, as each task finishes."""
    running, inner, per_task = task_shape(len(units), concurrency, workers, not graders.in_process)
    pool = ProcessTasks(running, task_spec(spec, running), inner)
    try:
        dispatch(pool, batches_of(units, per_task), running * QUEUED_PER_WORKER, on_result, graders.name)
    finally:
        pool.close()
