"""Units of grading work (a few turns, or one transcript's turns) and what grading one gives back."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from simulator.batch.jobdb import CallRecord, JobDB, TurnJob, TurnResult


@dataclass(frozen=True)
class TranscriptTurn:
    """A turn of a transcript as shown to a per-transcript grader."""

    index: int
    speaker: str
    listener: bool
    text: str


@dataclass(frozen=True)
class Unit:
    """Listener turns graded together; per transcript, `turns` holds the whole transcript for context."""

    jobs: tuple[TurnJob, ...]
    turns: tuple[TranscriptTurn, ...] = ()

    @property
    def seq(self) -> int:
        return self.jobs[0].seq


@dataclass
class UnitResult:
    """The grades of a unit's turns and the model calls they cost."""

    results: list[TurnResult]
    calls: list[CallRecord] = field(default_factory=list)


def chunked(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def turn_units(jobs: Sequence[TurnJob], chunk: int) -> list[Unit]:
    """Units of `chunk` turns each, in order."""
    return [Unit(tuple(part)) for part in chunked(jobs, chunk)]


def transcript_units(db: JobDB, jobs: Sequence[TurnJob]) -> list[Unit]:
    """One unit per transcript holding pending turns, with the whole transcript for context."""
    by_seq: dict[int, list[TurnJob]] = {}
    for job in jobs:
        by_seq.setdefault(job.seq, []).append(job)
    return [
        Unit(tuple(pending), tuple(TranscriptTurn(*row) for row in db.transcript_turns(seq)))
        for seq, pending in by_seq.items()
    ]
