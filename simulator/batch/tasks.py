"""Grading as tasks for other processes (worker processes or Ray): the task itself, its shape, dispatch."""

import asyncio
import math
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, Protocol

from simulator.batch.engine import (
    Graders,
    OnResult,
    failed_results,
    failure_reason,
    grade_sync_unit,
    grade_units,
)
from simulator.batch.graders import GraderSpec, build_graders
from simulator.batch.units import Unit, UnitResult, chunked

UNITS_PER_TASK_PER_CALL = 4


@cache
def graders_for(spec_json: str) -> Graders:
    """Graders built once per worker process for a spec."""
    return build_graders(GraderSpec.model_validate_json(spec_json))


def grade_task(spec_json: str, units: Sequence[Unit], concurrency: int) -> list[UnitResult]:
    """What one task runs: an in-process grader over each unit in turn, else the local async engine
    over the batch."""
    graders = graders_for(spec_json)
    if graders.in_process:
        return [grade_sync_unit(unit, graders) for unit in units]
    results: list[UnitResult] = []
    asyncio.run(grade_units(units, graders, concurrency, results.append))
    return results


def task_shape(units: int, concurrency: int, cpus: float, is_async: bool) -> tuple[int, int, int]:
    """(tasks in flight, concurrency inside a task, units per task)."""
    in_flight = max(1, min(concurrency, int(cpus) or 1))
    inner = max(1, math.ceil(concurrency / in_flight)) if is_async else 1
    per_task = inner * UNITS_PER_TASK_PER_CALL if is_async else 1
    return in_flight, inner, max(1, min(per_task, math.ceil(units / in_flight) or 1))


def task_spec(spec: GraderSpec, in_flight: int) -> str:
    """The spec each task gets, as JSON: the request rate is shared out between the tasks in flight."""
    return spec.model_copy(update={"rpm": spec.rpm / in_flight if spec.rpm else None}).model_dump_json()


class TaskPool(Protocol):
    """Where tasks run: submit a batch of units, wait for any one task, get its results."""

    kind: str

    def submit(self, batch: Sequence[Unit]) -> Any: ...

    def wait_one(self, running: list[Any]) -> Any: ...

    def result(self, handle: Any) -> list[UnitResult]: ...


def dispatch(
    pool: TaskPool, batches: Iterator[Sequence[Unit]], in_flight: int, on_result: OnResult, grader_name: str
) -> None:
    """Keep `in_flight` tasks running; a task that fails records its turns as failed, with the reason."""
    running: dict[Any, Sequence[Unit]] = {}
    while True:
        while len(running) < in_flight and (batch := next(batches, None)) is not None:
            running[pool.submit(batch)] = batch
        if not running:
            return
        done = pool.wait_one(list(running))
        batch = running.pop(done)
        for outcome in task_results(pool, done, batch, grader_name):
            on_result(outcome)


def task_results(pool: TaskPool, handle: Any, batch: Sequence[Unit], grader_name: str) -> list[UnitResult]:
    try:
        return pool.result(handle)
    except Exception as exc:  # noqa: BLE001 - a lost task fails its turns with the reason, nothing is dropped
        reason = f"{pool.kind} task failed: {failure_reason(exc)}"
        return [failed_results(unit, grader_name, reason) for unit in batch]


def batches_of(units: list[Unit], per_task: int) -> Iterator[Sequence[Unit]]:
    return iter(list(chunked(units, per_task)))
