"""Pure rules of an assignment: its pass criteria, and a learner's status from their attempts."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from simulator.scoring import SessionMetrics


class PassCriteria(BaseModel):
    """What an attempt must show to pass; every criterion given must hold (none given: finishing passes)."""

    model_config = ConfigDict(extra="forbid")

    min_mean_score: float | None = Field(default=None, ge=1, le=5)
    breakthrough: bool = False
    max_roadblock_rate: float | None = Field(default=None, ge=0, le=1)
    min_learner_turns: int | None = Field(default=None, ge=1, le=200)

    def describe(self) -> list[str]:
        """The criteria in plain words, as the learner sees them before starting."""
        words = []
        if self.min_mean_score is not None:
            words.append(f"a mean score of at least {self.min_mean_score:g} out of 5")
        if self.breakthrough:
            words.append("reaching the breakthrough (they tell you what is underneath)")
        if self.max_roadblock_rate is not None:
            words.append(f"roadblocks in at most {self.max_roadblock_rate:.0%} of your turns")
        if self.min_learner_turns is not None:
            words.append(f"at least {self.min_learner_turns} turns of yours")
        return words or ["finishing the conversation"]


class Status(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    PASSED = "passed"
    OVERDUE = "overdue"


def passes(criteria: PassCriteria, metrics: SessionMetrics) -> bool:
    """Whether one finished attempt meets every criterion."""
    checks = [metrics.learner_turns > 0]
    if criteria.min_mean_score is not None:
        checks.append(metrics.mean_score is not None and metrics.mean_score >= criteria.min_mean_score)
    if criteria.breakthrough:
        checks.append(metrics.breakthrough)
    if criteria.max_roadblock_rate is not None:
        checks.append(
            metrics.roadblock_rate is not None and metrics.roadblock_rate <= criteria.max_roadblock_rate
        )
    if criteria.min_learner_turns is not None:
        checks.append(metrics.learner_turns >= criteria.min_learner_turns)
    return all(checks)


@dataclass(frozen=True)
class Attempt:
    """One session for an assignment: when it started, and its metrics once ended (None while open)."""

    session_id: str
    started_at: datetime
    metrics: SessionMetrics | None


@dataclass(frozen=True)
class Progress:
    """A learner's standing on one assignment."""

    status: Status
    attempts: int
    best_score: float | None
    passed_session_id: str | None = None


def progress(
    criteria: PassCriteria, attempts: list[Attempt], due_at: datetime | None, now: datetime
) -> Progress:
    """Status (passed beats everything; overdue once the due date is past), attempts and best score."""
    finished = [a for a in attempts if a.metrics is not None and a.metrics.learner_turns > 0]
    passing = [a for a in sorted(finished, key=lambda a: a.started_at) if passes(criteria, a.metrics)]
    scores = [a.metrics.mean_score for a in finished if a.metrics.mean_score is not None]
    best = max(scores) if scores else None
    if passing:
        return Progress(Status.PASSED, len(attempts), best, passing[0].session_id)
    if due_at is not None and now > due_at:
        return Progress(Status.OVERDUE, len(attempts), best)
    return Progress(Status.IN_PROGRESS if attempts else Status.NOT_STARTED, len(attempts), best)
