"""The Ray engine: the same grading as the local engine, run as Ray tasks (the [ray] extra)."""

import asyncio
import math
import os
import secrets
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from simulator.batch.engine import Graders, OnResult, failed_results, failure_reason, grade_units
from simulator.batch.graders import GraderSpec, build_graders
from simulator.batch.units import Unit, UnitResult, chunked

UNITS_PER_TASK_PER_CALL = 4
RAY_AUTH_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")


@cache
def graders_for(spec_json: str):
    """Graders built once per worker process for a spec."""
    return build_graders(GraderSpec.model_validate_json(spec_json))


def grade_task(spec_json: str, units: Sequence[Unit], concurrency: int) -> list[UnitResult]:
    """What one Ray task runs: the local async engine over a batch of units."""
    graders = graders_for(spec_json)
    results: list[UnitResult] = []
    asyncio.run(grade_units(units, graders, concurrency if graders.is_async else 1, results.append))
    return results


def import_ray():
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("--engine ray needs Ray: pip install 'listenlab[ray]'") from exc
    return ray


def local_runtime_env() -> dict:
    """Let local workers import this package and the driver's modules the way the driver does."""
    root = str(Path(__file__).resolve().parents[2])
    paths = [root, os.getcwd(), *(p for p in sys.path if p)]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}}


def use_process_token() -> None:
    """Keep Ray's token authentication for a local instance without writing ~/.ray/auth_token:
    when no token or mode is configured, this process and its workers share a fresh one."""
    configured = any(os.environ.get(name) for name in RAY_AUTH_VARIABLES)
    if not configured and not (Path.home() / ".ray" / "auth_token").exists():
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)


def connect(ray, address: str | None) -> bool:
    """Start or join Ray unless already connected; True when this call started it (and should stop it)."""
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address)
    else:
        use_process_token()
        ray.init(include_dashboard=False, runtime_env=local_runtime_env(), log_to_driver=False)
    return True


def task_shape(units: int, concurrency: int, cpus: float, is_async: bool) -> tuple[int, int, int]:
    """(tasks in flight, concurrency inside a task, units per task)."""
    in_flight = max(1, min(concurrency, int(cpus) or 1))
    inner = max(1, math.ceil(concurrency / in_flight)) if is_async else 1
    per_task = inner * UNITS_PER_TASK_PER_CALL if is_async else 1
    return in_flight, inner, max(1, min(per_task, math.ceil(units / in_flight) or 1))


def run_ray(
    units: list[Unit],
    spec: GraderSpec,
    graders: Graders,
    concurrency: int,
    address: str | None,
    on_result: OnResult,
) -> None:
    """Grade units as Ray tasks with a bounded number in flight; results are handed over as tasks finish."""
    ray = import_ray()
    started = connect(ray, address)
    try:
        is_async = graders.is_async or graders.transcript is not None
        cpus = ray.cluster_resources().get("CPU", 1)
        in_flight, inner, per_task = task_shape(len(units), concurrency, cpus, is_async)
        task_spec = spec.model_copy(
            update={"rpm": spec.rpm / in_flight if spec.rpm else None}
        ).model_dump_json()
        remote = ray.remote(max_retries=0)(grade_task)
        dispatch(
            ray, remote, task_spec, list(chunked(units, per_task)), in_flight, inner, on_result, graders.name
        )
    finally:
        if started:
            ray.shutdown()


def dispatch(ray, remote, spec_json, batches, in_flight, inner, on_result, grader_name) -> None:
    """Keep `in_flight` tasks running; a task that fails records its turns as failed, with the reason."""
    queue, running = iter(batches), {}
    while True:
        while len(running) < in_flight and (batch := next(queue, None)) is not None:
            running[remote.remote(spec_json, batch, inner)] = batch
        if not running:
            return
        done, _ = ray.wait(list(running), num_returns=1)
        batch = running.pop(done[0])
        for outcome in task_results(ray, done[0], batch, grader_name):
            on_result(outcome)


def task_results(ray, ref, batch: Sequence[Unit], grader_name: str) -> list[UnitResult]:
    try:
        return ray.get(ref)
    except Exception as exc:  # noqa: BLE001 - a lost task fails its turns with the reason, nothing is dropped
        return [
            failed_results(unit, grader_name, f"Ray task failed: {failure_reason(exc)}") for unit in batch
        ]
