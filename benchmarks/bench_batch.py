"""Batch benchmarks: throughput against a 200 ms server, tokens per turn by mode, the offline grader at 100k.

python benchmarks/bench_batch.py            # everything (each part in a fresh process)
python benchmarks/bench_batch.py concurrency | tokens | offline
"""

import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.batch import BatchOptions, GraderSpec, run_batch  # noqa: E402
from simulator.grader.offline import load_offline_grader  # noqa: E402
from tests.openai_server import OpenAIServer  # noqa: E402
from tests.test_batch_llm import grading_responder  # noqa: E402
from tests.test_batch_support import make_corpus  # noqa: E402

LATENCY_S = 0.2
LEVELS = {1: 24, 8: 96, 32: 320, 64: 640}  # concurrency -> listener turns graded
OFFLINE_TURNS = 100_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def llm_spec(server: OpenAIServer, **kwargs) -> GraderSpec:
    settings = {
        "openai_base_url": server.base_url,
        "openai_api_key": "bench",
        "model": "bench-model",
        "timeout_s": 30,
    }
    return GraderSpec(kind="llm", settings=settings, **kwargs)


class GradingClock:
    """BatchProgress that times the grading phase alone (reading and writing files excluded)."""

    def __init__(self):
        self.started = self.finished = 0.0

    def start(self, phase: str, total: int, done: int = 0) -> None:
        if phase == "Grading":
            self.started = self.finished = time.perf_counter()

    def advance(self, done: int, failed: int = 0) -> None:
        self.finished = time.perf_counter()

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def batch(folder: Path, out: Path, spec: GraderSpec, concurrency: int = 8, clock: GradingClock | None = None):
    return run_batch(BatchOptions(inputs=[str(folder)], out=out, grader=spec, concurrency=concurrency), clock)


def serve(latency: float, ready, stop) -> None:
    """Run the test server in its own process, so its work does not share the client's interpreter."""
    with OpenAIServer(latency=latency, responder=grading_responder()) as server:
        ready.send(server.base_url)
        stop.wait()


class ServerProcess:
    """The test server in a child process; `.base_url` once started."""

    def __init__(self, latency: float):
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        self.stop = context.Event()
        self.process = context.Process(target=serve, args=(latency, send, self.stop), daemon=True)
        self.process.start()
        self.base_url = receive.recv()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.process.join(timeout=10)


def bench_concurrency() -> list[dict]:
    """Turns per second in the grading phase against a server (its own process) answering in 200 ms."""
    rows = []
    with ServerProcess(LATENCY_S) as server, tempfile.TemporaryDirectory() as tmp:
        warm = make_corpus(Path(tmp) / "warm", transcripts=1, listener_turns=2)
        batch(warm, Path(tmp) / "warm-out", llm_spec(server))  # imports and first connections
        for concurrency, turns in LEVELS.items():
            corpus = make_corpus(Path(tmp) / f"in{concurrency}", transcripts=turns // 8, listener_turns=8)
            clock = GradingClock()
            summary = batch(corpus, Path(tmp) / f"out{concurrency}", llm_spec(server), concurrency, clock)
            rate, ideal = summary.graded / clock.seconds, concurrency / LATENCY_S
            rows.append(
                {
                    "concurrency": concurrency,
                    "turns": summary.graded,
                    "seconds": round(clock.seconds, 2),
                    "turns_per_s": round(rate, 1),
                    "ideal_per_s": ideal,
                    "share_of_ideal": round(rate / ideal, 3),
                }
            )
    return rows


def bench_tokens() -> list[dict]:
    """Tokens per graded turn on one 20-turn transcript (10 listener turns), per turn vs per transcript."""
    rows = []
    with OpenAIServer(responder=grading_responder()) as server, tempfile.TemporaryDirectory() as tmp:
        corpus = make_corpus(Path(tmp) / "in", transcripts=1, listener_turns=10)
        for granularity in ("turn", "transcript"):
            summary = batch(corpus, Path(tmp) / granularity, llm_spec(server, granularity=granularity))
            usage = {
                key: sum(u[key] for u in summary.tokens.values())
                for key in ("calls", "input_tokens", "output_tokens")
            }
            rows.append(
                {
                    "mode": f"per {granularity}",
                    "graded": summary.graded,
                    "calls": usage["calls"],
                    "input_per_turn": round(usage["input_tokens"] / summary.graded, 1),
                    "output_per_turn": round(usage["output_tokens"] / summary.graded, 1),
                    "total_per_turn": round(
                        (usage["input_tokens"] + usage["output_tokens"]) / summary.graded, 1
                    ),
                }
            )
    return rows


def bench_offline() -> dict:
    """The offline grader alone over 100,000 turns, then the whole pipeline over 100,000 listener turns."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_corpus(Path(tmp) / "in", transcripts=OFFLINE_TURNS // 100, listener_turns=100)
        grader = load_offline_grader()
        from simulator.batch.collect import collect
        from simulator.batch.inputs import find_inputs

        collected = collect(find_inputs([str(corpus)], Path(tmp) / "none").files, [], 5_000_000)
        requests = [
            turn.request() for p in collected.transcripts for turn in p.transcript.listener_turns(p.listener)
        ]
        started = time.perf_counter()
        for start in range(0, len(requests), 256):
            grader.grade_many(requests[start : start + 256])
        grader_seconds = time.perf_counter() - started
        del collected, requests
        started = time.perf_counter()
        summary = batch(corpus, Path(tmp) / "out", GraderSpec(kind="offline"))
        pipeline_seconds = time.perf_counter() - started
    return {
        "turns": summary.graded,
        "grader_turns_per_s": round(OFFLINE_TURNS / grader_seconds),
        "pipeline_seconds": round(pipeline_seconds, 1),
        "pipeline_turns_per_s": round(summary.graded / pipeline_seconds),
        "peak_rss_mb": round(peak_rss_mb()),
    }


PARTS = {"concurrency": bench_concurrency, "tokens": bench_tokens, "offline": bench_offline}


def print_part(name: str, result) -> None:
    print(f"\n## {name}")
    for row in result if isinstance(result, list) else [result]:
        print("  " + ", ".join(f"{key}={value}" for key, value in row.items()))


def main() -> None:
    wanted = sys.argv[1:] or list(PARTS)
    if len(wanted) == 1:
        result = PARTS[wanted[0]]()
        print_part(wanted[0], result)
        print("JSON " + json.dumps(result))
        return
    for name in wanted:  # each part in a fresh process, so peak memory is its own
        subprocess.run([sys.executable, __file__, name], check=True)


if __name__ == "__main__":
    main()
