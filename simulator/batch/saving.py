"""Commit grades in small transactions (many results per commit) and keep count of what this run did."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.batch.jobdb import CallRecord, JobDB, TurnResult
from simulator.batch.units import UnitResult

COMMIT_ROWS = 512
COMMIT_SECONDS = 1.0


class FailureLimitReached(RuntimeError):
    """More grades failed in this run than --max-failures allows; the run stops with the last reason."""


@dataclass
class RunCounts:
    """What this run graded ok and what failed, with the latest failure's reason."""

    ok: int = 0
    failed: int = 0
    last_error: str = ""

    def add(self, results: list[TurnResult]) -> int:
        """Count a unit's results; returns how many of them failed."""
        failed = [result.grade for result in results if not result.grade.ok]
        self.ok += len(results) - len(failed)
        self.failed += len(failed)
        if failed:
            self.last_error = failed[-1].error or ""
        return len(failed)


@dataclass
class ResultSaver:
    """Buffers unit results and commits them together once `rows` turns or `seconds` have gathered.

    A kill loses at most the open buffer: those turns are still pending in the job database and are
    graded again on resume; a turn's grade is one row updated in place, so nothing is ever doubled."""

    db: JobDB
    rows: int = COMMIT_ROWS
    seconds: float = COMMIT_SECONDS
    clock: Callable[[], float] = time.monotonic
    results: list[TurnResult] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    opened: float = 0.0

    def add(self, outcome: UnitResult) -> None:
        if not self.results:
            self.opened = self.clock()
        self.results += outcome.results
        self.calls += outcome.calls
        if len(self.results) >= self.rows or self.clock() - self.opened >= self.seconds:
            self.flush()

    def flush(self) -> None:
        """Commit what is buffered (one transaction)."""
        if self.results or self.calls:
            self.db.save(self.results, self.calls)
            self.results, self.calls = [], []
