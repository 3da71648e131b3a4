"""The local engine: grade units concurrently on one event loop, handing each result over as it arrives."""

import asyncio
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from simulator.batch.jobdb import CallRecord, TurnResult
from simulator.batch.resilience import METER, TokenMeter
from simulator.batch.units import Unit, UnitResult
from simulator.grader.base import Grader
from simulator.grades import TurnGrade

OnResult = Callable[[UnitResult], None]


@dataclass
class Graders:
    """What grades: a per-turn grader, and for per-transcript mode a transcript grader."""

    turn: Grader
    transcript: object | None = None

    @property
    def is_async(self) -> bool:
        return hasattr(self.turn, "agrade")

    @property
    def in_process(self) -> bool:
        """Whether grading is computation in this process (no model calls to wait on)."""
        return not self.is_async and self.transcript is None

    @property
    def name(self) -> str:
        return getattr(self.transcript, "name", None) or self.turn.name


def failure_reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def failed_results(unit: Unit, name: str, reason: str) -> UnitResult:
    """Every turn of the unit recorded as failed with the reason (never dropped)."""
    return UnitResult([TurnResult(job.seq, job.index, TurnGrade.failed(name, reason)) for job in unit.jobs])


async def grade_unit(unit: Unit, graders: Graders) -> UnitResult:
    """Grade one unit; an unexpected grader error fails the unit's turns with its reason."""
    try:
        if graders.transcript is not None:
            return await graders.transcript.agrade_unit(unit)
        if graders.is_async:
            return await grade_async_turns(unit, graders.turn)
        return await grade_sync_turns(unit, graders.turn)
    except Exception as exc:  # noqa: BLE001 - recorded as failed with the reason
        return failed_results(unit, graders.name, failure_reason(exc))


async def grade_async_turns(unit: Unit, grader) -> UnitResult:
    """Model-backed turns, one call each, with their tokens."""
    meter = TokenMeter()
    METER.set(meter)
    results = [TurnResult(job.seq, job.index, await grader.agrade(job.request())) for job in unit.jobs]
    call = CallRecord(unit.seq, "turn", len(results), meter.calls, meter.input_tokens, meter.output_tokens)
    return UnitResult(results, [call] if meter.calls else [])


async def grade_sync_turns(unit: Unit, grader: Grader) -> UnitResult:
    """A chunk of turns through `grade_many` in a worker thread (keeps the loop and progress responsive)."""
    return await asyncio.to_thread(sync_turn_results, unit, grader)


def grade_sync_unit(unit: Unit, graders: Graders) -> UnitResult:
    """Grade one unit here and now (in a worker process); an error fails its turns with the reason."""
    try:
        return sync_turn_results(unit, graders.turn)
    except Exception as exc:  # noqa: BLE001 - recorded as failed with the reason
        return failed_results(unit, graders.name, failure_reason(exc))


def sync_turn_results(unit: Unit, grader: Grader) -> UnitResult:
    """A chunk of turns through `grade_many`, checked to give one grade per turn."""
    grades = grader.grade_many([job.request() for job in unit.jobs])
    if len(grades) != len(unit.jobs):
        return failed_results(
            unit, grader.name, f"the grader returned {len(grades)} grades for {len(unit.jobs)} turns"
        )
    return UnitResult(
        [TurnResult(job.seq, job.index, grade) for job, grade in zip(unit.jobs, grades, strict=True)]
    )


async def grade_units(units: Iterable[Unit], graders: Graders, concurrency: int, on_result: OnResult) -> None:
    """Grade all units with at most `concurrency` in flight; `on_result` gets each as it finishes."""
    queue: Iterator[Unit] = iter(units)

    async def worker() -> None:
        for unit in queue:
            on_result(await grade_unit(unit, graders))

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))


def run_local(units: list[Unit], graders: Graders, concurrency: int, on_result: OnResult) -> None:
    """Grade on this machine, in one event loop."""
    asyncio.run(grade_units(units, graders, concurrency, on_result))
