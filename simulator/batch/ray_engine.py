"""The Ray engine: the same grading as the local engine, run as Ray tasks (the [ray] extra)."""

import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from simulator.batch.engine import Graders, OnResult
from simulator.batch.graders import GraderSpec
from simulator.batch.tasks import batches_of, dispatch, grade_task, task_shape, task_spec
from simulator.batch.units import Unit, UnitResult

RAY_AUTH_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
__all__ = ["run_ray", "task_shape", "use_process_token"]


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


class RayTasks:
    """A TaskPool of Ray remote tasks."""

    kind = "Ray"

    def __init__(self, ray, spec_json: str, inner: int):
        self.ray, self.spec_json, self.inner = ray, spec_json, inner
        self.remote = ray.remote(max_retries=0)(grade_task)

    def submit(self, batch: Sequence[Unit]):
        return self.remote.remote(self.spec_json, batch, self.inner)

    def wait_one(self, running: list):
        done, _ = self.ray.wait(running, num_returns=1)
        return done[0]

    def result(self, handle) -> list[UnitResult]:
        return self.ray.get(handle)


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
        cpus = ray.cluster_resources().get("CPU", 1)
        in_flight, inner, per_task = task_shape(len(units), concurrency, cpus, not graders.in_process)
        pool = RayTasks(ray, task_spec(spec, in_flight), inner)
        dispatch(pool, batches_of(units, per_task), in_flight, on_result, graders.name)
    finally:
        if started:
            ray.shutdown()
