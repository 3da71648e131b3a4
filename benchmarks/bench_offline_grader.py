"""Benchmark the offline grader: load time (fresh process) and turns per second on one core.

Usage: python benchmarks/bench_offline_grader.py [--turns 5000] [--json OUT.json]
Turns are real listener turns from evals/data (cycled to the requested count). The process is
pinned to one CPU and numeric libraries to one thread before numpy is imported. Figures: load time,
turns/s batched and one at a time, milliseconds per turn one at a time (median, p99), artifact size.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOAD_SNIPPET = """
import time
started = time.perf_counter()
from simulator.grader.offline import load_offline_grader
grader = load_offline_grader()
print(time.perf_counter() - started)
"""


def pin_to_one_core() -> None:
    """Run on a single CPU where the platform allows it."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def load_seconds(runs: int = 3) -> float:
    """Median time to import the grader module and load the artifact, each in a fresh interpreter."""
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def sample_requests(count: int):
    """Listener turns with their context from evals/data, cycled to `count`."""
    from simulator.grader.base import GradeRequest

    rows = []
    for path in sorted((ROOT / "evals" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append(GradeRequest(context=row.get("context", ""), text=row["text"]))
    if not rows:
        rows = [
            GradeRequest(
                context="I can't sleep before exams.", text="That sounds exhausting. What keeps you up?"
            )
        ]
    return [rows[i % len(rows)] for i in range(count)]


def turns_per_second(grader, requests, batch: int) -> float:
    """Best of three timed passes over all requests, graded `batch` at a time."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for start in range(0, len(requests), batch):
            grader.grade_many(requests[start : start + batch])
        best = min(best, time.perf_counter() - started)
    return len(requests) / best


def latencies_ms(grader, requests) -> dict[str, float]:
    """Median and 99th-percentile milliseconds of grading one turn at a time (`grade`)."""
    times = []
    for request in requests:
        started = time.perf_counter()
        grader.grade(request)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    return {"median": round(statistics.median(times), 3), "p99": round(p99, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    pin_to_one_core()
    from simulator.grader.offline import load_offline_grader

    grader = load_offline_grader()
    requests = sample_requests(args.turns)
    figures = {
        "grader": grader.name,
        "load_seconds": round(load_seconds(), 3),
        "turns_per_second_batched": round(turns_per_second(grader, requests, 256)),
        "turns_per_second_one_by_one": round(turns_per_second(grader, requests[:1000], 1)),
        "ms_per_turn_one_by_one": latencies_ms(grader, requests[:2000]),
        "mean_characters_per_turn": round(statistics.mean(len(r.text) for r in requests), 1),
        "artifact_megabytes": round(_artifact_bytes() / 1e6, 2),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def _artifact_bytes() -> int:
    return (ROOT / "simulator" / "grader" / "model" / "offline_grader.npz").stat().st_size


if __name__ == "__main__":
    main()
