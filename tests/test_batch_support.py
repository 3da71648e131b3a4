"""Shared helpers for the batch tests: graders with predictable grades, a corpus maker, a run helper."""

import asyncio
import csv
import threading
from pathlib import Path

from simulator.batch import BatchOptions, GraderSpec, run_batch
from simulator.grader.base import GradeRequest
from simulator.grades import TurnGrade
from simulator.labels import Label

DATA = Path(__file__).parent / "data" / "transcripts"
SAMPLE_LISTENERS = ["Maria Lopez", "coach", "learner", "therapist"]
OUTPUTS = ("turns.csv", "turns.jsonl", "transcripts.csv", "skipped.csv", "report.html")
CLIENT_LINES = [
    "My manager moved the deadline again.",
    "I haven't slept properly in weeks.",
    "Nobody asked what I thought.",
    "I feel like I'm failing at everything.",
    "It's been a long month.",
    "I don't know who to talk to.",
]
LISTENER_LINES = [
    "It sounds like you're exhausted.",
    "What has that been like for you?",
    "You should talk to HR.",
    "Did you tell anyone?",
    "That makes sense after all that.",
    "It'll be fine, don't worry.",
    "The same happened to me last year.",
    "You're overreacting a bit.",
]


def echo_grade(request: GradeRequest, name: str) -> TurnGrade:
    """A predictable grade from the text alone: questions open, 'should' is advice, the rest reflection."""
    if "?" in request.text:
        label, score = Label.OPEN_QUESTION, 4.0
    elif "should" in request.text:
        label, score = Label.ADVICE, 2.0
    else:
        label, score = Label.REFLECTION, 4.5
    return TurnGrade(
        labels=[label], primary=label, score=score, rationale=f"echo: {label.value}", grader=name
    )


class EchoGrader:
    """A synchronous grader: records requests, raises for texts in `fail_on`, can interrupt like Ctrl-C."""

    def __init__(
        self, name: str = "echo@1", fail_on: frozenset[str] = frozenset(), interrupt_after: int | None = None
    ):
        self.name = name
        self.fail_on = fail_on
        self.interrupt_after = interrupt_after
        self.requests: list[GradeRequest] = []
        self.calls = 0

    def grade(self, request: GradeRequest) -> TurnGrade:
        return self.grade_many([request])[0]

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt
        self.requests.extend(requests)
        if any(request.text in self.fail_on for request in requests):
            raise RuntimeError("grader exploded")
        return [echo_grade(request, self.name) for request in requests]


class AsyncEchoGrader:
    """An asynchronous grader with latency; measures how many calls were in flight at once."""

    def __init__(
        self, delay: float = 0.01, name: str = "async-echo@1", fail_on: frozenset[str] = frozenset()
    ):
        self.name, self.delay, self.fail_on = name, delay, fail_on
        self.in_flight = self.most_in_flight = 0
        self.requests: list[GradeRequest] = []
        self.lock = threading.Lock()

    async def agrade(self, request: GradeRequest) -> TurnGrade:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        with self.lock:
            self.requests.append(request)
        if request.text in self.fail_on:
            return TurnGrade.failed(self.name, "model said no")
        return echo_grade(request, self.name)

    def grade(self, request: GradeRequest) -> TurnGrade:
        return asyncio.run(self.agrade(request))

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        return [self.grade(request) for request in requests]


def slow_grader() -> AsyncEchoGrader:
    """Factory for `--grader tests.test_batch_support:slow_grader` (subprocess tests)."""
    return AsyncEchoGrader(delay=0.02, name="slow-echo@1")


def make_corpus(folder: Path, transcripts: int, listener_turns: int) -> Path:
    """CSV transcripts coach/client, `listener_turns` coach turns each, texts varied but deterministic."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(transcripts):
        with (folder / f"call_{number:04d}.csv").open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["speaker", "text"])
            for turn in range(listener_turns):
                writer.writerow(["client", CLIENT_LINES[(number + turn) % len(CLIENT_LINES)]])
                writer.writerow(
                    ["coach", f"{LISTENER_LINES[(number * 3 + turn) % len(LISTENER_LINES)]} ({turn})"]
                )
    return folder


def run(inputs, out: Path, grader: str = "offline", graders=None, progress=None, **kwargs):
    """run_batch with a grader kind (or grader objects) and options as keywords."""
    spec_keys = {"granularity", "rpm", "attempts", "backoff_s", "settings"}
    spec = GraderSpec(kind=grader, **{k: kwargs.pop(k) for k in list(kwargs) if k in spec_keys})
    options = BatchOptions(inputs=[str(i) for i in inputs], out=out, grader=spec, **kwargs)
    return run_batch(options, progress, graders)


def output_bytes(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


class ExplodingGrader(EchoGrader):
    """Raises for every chunk holding a transcript's 300th listener turn (make_corpus), grades the others."""

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        if any(request.text.endswith("(299)") for request in requests):
            raise RuntimeError("grader exploded")
        return super().grade_many(requests)


def exploding_grader() -> ExplodingGrader:
    """An ExplodingGrader by import path (built inside worker processes)."""
    return ExplodingGrader("exploding@1")
