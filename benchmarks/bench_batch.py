"""Batch benchmarks: throughput against a 200 ms server, tokens per turn by mode, the offline grader at 100k.

python benchmarks/bench_batch.py            # everything (each part in a fresh process)
python benchmarks/bench_batch.py concurrency | tokens | offline | engines
"""

import asyncio
import json
import multiprocessing
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.batch import BatchOptions, GraderSpec, run_batch  # noqa: E402
from simulator.batch.collect import collect  # noqa: E402
from simulator.batch.inputs import find_inputs  # noqa: E402
from simulator.grader.base import GradeRequest  # noqa: E402
from simulator.grader.llm_grader import GradeOutput, grade_messages  # noqa: E402
from simulator.grader.offline import load_offline_grader  # noqa: E402
from simulator.prompts import load_prompt  # noqa: E402
from tests.openai_server import OpenAIServer  # noqa: E402
from tests.test_batch_llm import grading_responder  # noqa: E402
from tests.test_batch_support import make_corpus  # noqa: E402

LATENCY_S = 0.2
LEVELS = {8: 320, 64: 1280, 256: 2560}  # concurrency -> listener turns graded
REPEATS = 3
OFFLINE_TURNS = 100_000


def llm_spec(server: OpenAIServer, **kwargs) -> GraderSpec:
    settings = {
        "openai_base_url": server.base_url,
        "openai_api_key": "bench",
        "model": "bench-model",
        "timeout_s": 30,
    }
    return GraderSpec(kind="llm", settings=settings, **kwargs)


class GradingClock:
    """BatchProgress that times the grading phase alone (reading and writing files excluded), in wall
    time and in this process's CPU time."""

    def __init__(self):
        self.started = self.finished = self.cpu_started = self.cpu_finished = 0.0

    def start(self, phase: str, total: int, done: int = 0) -> None:
        if phase == "Grading":
            self.started = self.finished = time.perf_counter()
            self.cpu_started = self.cpu_finished = time.process_time()

    def advance(self, done: int, failed: int = 0) -> None:
        self.finished = time.perf_counter()
        self.cpu_finished = time.process_time()

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_finished - self.cpu_started


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


def grading_requests(corpus: Path) -> list[GradeRequest]:
    """The listener turns of a corpus, as the batch reads them."""
    collected = collect(find_inputs([str(corpus)], corpus / "none").files, [], 5_000_000)
    return [turn.request() for p in collected.transcripts for turn in p.transcript.listener_turns(p.listener)]


async def bare_loop(base_url: str, requests: list[GradeRequest], concurrency: int) -> int:
    """The loop a user would write: AsyncOpenAI, a semaphore, json_schema output, Pydantic parsing.
    The same prompt and messages as listenlab's; returns the count of valid answers."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=30)
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "GradeOutput", "schema": GradeOutput.model_json_schema(), "strict": True},
    }
    prompt, limit = load_prompt("grade_v1"), asyncio.Semaphore(concurrency)

    async def one(request: GradeRequest) -> GradeOutput:
        messages = [m.model_dump() for m in grade_messages(prompt, request)]
        async with limit:
            answer = await client.chat.completions.create(
                model="bench-model", messages=messages, response_format=response_format, temperature=0.0
            )
        return GradeOutput.model_validate_json(answer.choices[0].message.content)

    answers = await asyncio.gather(*(one(request) for request in requests))
    await client.close()
    return len(answers)


def time_bare_loop(base_url: str, corpus: Path, concurrency: int) -> tuple[int, float, float]:
    """(answers, seconds, CPU seconds) of the bare loop over a corpus."""
    requests = grading_requests(corpus)
    started, cpu_started = time.perf_counter(), time.process_time()
    answers = asyncio.run(bare_loop(base_url, requests, concurrency))
    return answers, time.perf_counter() - started, time.process_time() - cpu_started


def time_listenlab(server, corpus: Path, out: Path, concurrency: int) -> tuple[int, float, float]:
    """(graded, seconds, CPU seconds) of listenlab's grading phase over a corpus."""
    clock = GradingClock()
    summary = batch(corpus, out, llm_spec(server), concurrency, clock)
    return summary.graded, clock.seconds, clock.cpu_seconds


def concurrency_row(concurrency: int, runner: str, runs: list[tuple[int, float, float]]) -> dict:
    """Medians of repeated runs: turns/s, share of ideal, CPU milliseconds per call."""
    rate = statistics.median(turns / seconds for turns, seconds, _ in runs)
    cpu_ms = statistics.median(1000 * cpu / turns for turns, _, cpu in runs)
    ideal = concurrency / LATENCY_S
    return {
        "concurrency": concurrency,
        "runner": runner,
        "turns": runs[0][0],
        "runs": len(runs),
        "turns_per_s": round(rate, 1),
        "share_of_ideal": round(rate / ideal, 3),
        "cpu_ms_per_call": round(cpu_ms, 2),
    }


def bench_concurrency() -> list[dict]:
    """The bare loop and listenlab's grading phase, alternating in one run against one server process
    answering in 200 ms: medians of REPEATS runs each, with the ratio listenlab / bare loop."""
    rows = []
    with ServerProcess(LATENCY_S) as server, tempfile.TemporaryDirectory() as tmp:
        warm = make_corpus(Path(tmp) / "warm", transcripts=1, listener_turns=8)
        batch(warm, Path(tmp) / "warm-out", llm_spec(server))  # imports and first connections
        time_bare_loop(server.base_url, warm, 8)
        for concurrency, turns in LEVELS.items():
            corpus = make_corpus(Path(tmp) / f"in{concurrency}", transcripts=turns // 8, listener_turns=8)
            bare, ours = [], []
            for repeat in range(REPEATS):
                bare.append(time_bare_loop(server.base_url, corpus, concurrency))
                ours.append(
                    time_listenlab(server, corpus, Path(tmp) / f"out{concurrency}-{repeat}", concurrency)
                )
            bare_row, our_row = (
                concurrency_row(concurrency, "bare loop", bare),
                concurrency_row(concurrency, "listenlab", ours),
            )
            our_row["vs_bare_loop"] = round(our_row["turns_per_s"] / bare_row["turns_per_s"], 3)
            rows += [bare_row, our_row]
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


def timed_command(arguments: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB of the largest process) of `python -m simulator batch ...` run to the end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    command = [sys.executable, "-m", "simulator", "batch", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return seconds, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def grader_alone(corpus: Path) -> float:
    """Turns per second of the offline grader by itself (chunks of 256, as the batch hands them over)."""
    grader, requests = load_offline_grader(), grading_requests(corpus)
    started = time.perf_counter()
    for start in range(0, len(requests), 256):
        grader.grade_many(requests[start : start + 256])
    return len(requests) / (time.perf_counter() - started)


def bench_offline() -> dict:
    """The offline grader alone over 100,000 turns, then the whole command over 100,000 listener turns
    (median of REPEATS runs, each in a fresh process and output folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_corpus(Path(tmp) / "in", transcripts=OFFLINE_TURNS // 100, listener_turns=100)
        grader_rate = grader_alone(corpus)
        runs = [timed_command([str(corpus), "--out", str(Path(tmp) / f"out{n}")]) for n in range(REPEATS)]
    seconds = statistics.median(run[0] for run in runs)
    return {
        "turns": OFFLINE_TURNS,
        "grader_turns_per_s": round(grader_rate),
        "command_seconds": round(seconds, 1),
        "command_turns_per_s": round(OFFLINE_TURNS / seconds),
        "runs_seconds": [round(run[0], 1) for run in runs],
        "peak_rss_mb": round(max(run[1] for run in runs)),
    }


ENGINES = [("local", None), ("processes", 1), ("processes", 2), ("ray", 1), ("ray", 2)]


def engine_options(engine: str, workers: int | None) -> list[str]:
    """Command options for an engine with a number of workers (Ray: tasks in flight, one per CPU)."""
    if engine == "processes":
        return ["--engine", "processes", "--workers", str(workers)]
    if engine == "ray":
        return ["--engine", "ray", "--concurrency", str(workers)]
    return []


def bench_engines() -> list[dict]:
    """The whole offline command over 100,000 turns by engine and workers, alternating, median of 2 runs."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_corpus(Path(tmp) / "in", transcripts=OFFLINE_TURNS // 100, listener_turns=100)
        runs: dict[tuple, list[float]] = {config: [] for config in ENGINES}
        for repeat in range(2):
            for engine, workers in ENGINES:
                out = Path(tmp) / f"out-{engine}-{workers}-{repeat}"
                seconds, _ = timed_command([str(corpus), "--out", str(out), *engine_options(engine, workers)])
                runs[(engine, workers)].append(seconds)
        for (engine, workers), seconds in runs.items():
            median = statistics.median(seconds)
            rows.append(
                {
                    "engine": engine,
                    "workers": workers or 1,
                    "seconds": round(median, 1),
                    "turns_per_s": round(OFFLINE_TURNS / median),
                    "runs_seconds": [round(value, 1) for value in seconds],
                }
            )
    return rows


PARTS = {
    "concurrency": bench_concurrency,
    "tokens": bench_tokens,
    "offline": bench_offline,
    "engines": bench_engines,
}


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
