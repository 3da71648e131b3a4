"""Run a batch job end to end: find inputs, open (or resume) the job, grade what is missing, write outputs."""

import time
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from pydantic import BaseModel, Field

from simulator.batch.collect import collect
from simulator.batch.engine import Graders, run_local
from simulator.batch.folder import fingerprint, open_job
from simulator.batch.graders import GraderSpec, build_graders, chunk_size
from simulator.batch.inputs import find_inputs
from simulator.batch.jobdb import JobDB
from simulator.batch.outputs import write_outputs
from simulator.batch.saving import FailureLimitReached, ResultSaver, RunCounts
from simulator.batch.units import Unit, UnitResult, transcript_units, turn_units
from simulator.grader.base import Grader
from simulator.transcripts import DEFAULT_MAX_CHARS

Engine = Literal["auto", "local", "processes", "ray"]
PROCESSES_FROM_TURNS = 50_000  # in-process grading of more turns than this pays for worker processes


class BatchOptions(BaseModel):
    """Everything `listenlab batch` is asked to do."""

    inputs: list[str]
    out: Path
    grader: GraderSpec = Field(default_factory=GraderSpec)
    concurrency: int = Field(8, ge=1)
    listeners: list[str] = Field(default_factory=list)
    engine: Engine = "local"
    workers: int | None = Field(None, ge=1)
    ray_address: str | None = None
    max_chars: int = Field(DEFAULT_MAX_CHARS, gt=0)
    restart: bool = False
    max_failures: int | None = Field(None, ge=1)


class BatchProgress(Protocol):
    """Where a run reports how far it is (a Rich bar, a Streamlit bar, nothing)."""

    def start(self, phase: str, total: int, done: int = 0) -> None: ...

    def advance(self, done: int, failed: int = 0) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int, done: int = 0) -> None:
        pass

    def advance(self, done: int, failed: int = 0) -> None:
        pass


class BatchSummary(BaseModel):
    """What a run did (the CLI's closing table, the page's status). `graded` and `failed` count the whole
    job, `graded_now` and `failed_now` this run; `stopped` says why the run ended early, if it did."""

    out: Path
    grader: str
    resumed: bool
    transcripts: int
    skipped: int
    turns: int
    graded: int
    failed: int
    graded_now: int
    failed_now: int = 0
    stopped: str | None = None
    seconds: float
    tokens: dict[str, dict[str, int]]
    files: list[Path]


def as_graders(grader: Graders | Grader) -> Graders:
    return grader if isinstance(grader, Graders) else Graders(grader)


def job_description(options: BatchOptions, grader_name: str) -> dict[str, str]:
    """The settings that define a job (changing one makes it a different job)."""
    return {
        "grader": grader_name,
        "granularity": options.grader.granularity,
        "listeners": ", ".join(options.listeners),
        "max_chars": str(options.max_chars),
    }


def prepare(db: JobDB, options: BatchOptions, found, meta: dict[str, str], progress: BatchProgress) -> None:
    """Read every transcript into the job database (one transaction: all or nothing)."""
    progress.start("Reading", len(found.files))
    collected = collect(found.files, options.listeners, options.max_chars, lambda _: progress.advance(1))
    files = [(f.file_id, str(f.path), f.sha256) for f in found.files]
    db.prepare(meta, files, collected.transcripts, [*found.skipped, *collected.skipped])


def units_for(db: JobDB, graders: Graders) -> list[Unit]:
    jobs = db.jobs()
    return (
        transcript_units(db, jobs)
        if graders.transcript is not None
        else turn_units(jobs, chunk_size(graders))
    )


class Graded(NamedTuple):
    """What the grading phase of this run did, and why it stopped early (None when it did not)."""

    counts: RunCounts
    stopped: str | None = None


def grade(
    db: JobDB, options: BatchOptions, graders: Graders, progress: BatchProgress, given: bool = False
) -> Graded:
    """Grade every pending or failed turn, committing results a batch at a time; returns what this run did."""
    state = db.progress()
    progress.start("Grading", state.total, state.ok)
    units = units_for(db, graders)
    saver, counts = ResultSaver(db), RunCounts()

    def take(outcome: UnitResult) -> None:
        saver.add(outcome)
        failed = counts.add(outcome.results)
        progress.advance(len(outcome.results), failed)
        if options.max_failures is not None and counts.failed >= options.max_failures:
            raise FailureLimitReached(failure_limit_reason(counts))

    try:
        engine = chosen_engine(options, graders, state.total - state.ok, given)
        run_engine(units, options, graders, engine, take)
    except FailureLimitReached as exc:
        return Graded(counts, str(exc))
    finally:
        saver.flush()
    return Graded(counts)


def failure_limit_reason(counts: RunCounts) -> str:
    return (
        f"stopped after {counts.failed:,} failed grades (--max-failures); the last one: {counts.last_error}"
    )


def chosen_engine(options: BatchOptions, graders: Graders, pending: int, given: bool) -> Engine:
    """The engine asked for; `auto` is worker processes for a large job graded in-process (the offline
    grader) on a machine with more than one core, else the local engine. A grader object passed in
    (`given`) can only run here."""
    if options.engine != "auto":
        return options.engine
    from simulator.batch.process_engine import default_workers

    many = pending >= PROCESSES_FROM_TURNS and (options.workers or default_workers()) > 1
    return "processes" if graders.in_process and many and not given else "local"


def run_engine(units: list[Unit], options: BatchOptions, graders: Graders, engine: Engine, on_result) -> None:
    """Hand the units to the chosen engine."""
    if engine == "ray":
        from simulator.batch.ray_engine import run_ray

        run_ray(units, options.grader, graders, options.concurrency, options.ray_address, on_result)
    elif engine == "processes":
        from simulator.batch.process_engine import default_workers, run_processes

        workers = options.workers or default_workers()
        run_processes(units, options.grader, graders, options.concurrency, workers, on_result)
    else:
        run_local(units, graders, options.concurrency if graders.is_async else 1, on_result)


def run_batch(
    options: BatchOptions, progress: BatchProgress | None = None, grader: Graders | Grader | None = None
) -> BatchSummary:
    """Grade every listener turn of every transcript found; resumable; raises JobConflict/GraderError early.

    `grader` replaces the one options.grader describes (any Grader; local engine only)."""
    progress, started = progress or NoProgress(), time.monotonic()
    graders = as_graders(grader) if grader is not None else build_graders(options.grader)
    found = find_inputs(options.inputs, exclude=options.out)
    description = job_description(options, graders.name)
    db, resumed = open_job(options.out, found, description, options.restart)
    try:
        if not resumed:
            prepare(
                db, options, found, {**description, "fingerprint": fingerprint(found, description)}, progress
            )
        graded = grade(db, options, graders, progress, given=grader is not None)
        files = write_outputs(db, options.out)
        return summarise(db, options.out, graders.name, resumed, graded, time.monotonic() - started, files)
    finally:
        db.close()


def summarise(
    db: JobDB, out: Path, grader: str, resumed: bool, graded: Graded, seconds: float, files
) -> BatchSummary:
    state = db.progress()
    return BatchSummary(
        out=out,
        grader=grader,
        resumed=resumed,
        transcripts=sum(1 for _ in db.transcripts()),
        skipped=len(db.skipped()),
        turns=state.total,
        graded=state.ok,
        failed=state.failed,
        graded_now=graded.counts.ok,
        failed_now=graded.counts.failed,
        stopped=graded.stopped,
        seconds=seconds,
        tokens=db.token_usage(),
        files=files,
    )
