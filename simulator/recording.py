"""Where a practice session is persisted: the SessionRecorder protocol and an in-memory recorder."""

import uuid
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from simulator.access import LOCAL_USER_ID
from simulator.grades import TurnGrade
from simulator.scoring import SessionMetrics


class SessionMovedOn(RuntimeError):
    """Another writer (a second tab, window or process) has already stored a different turn at this
    place of the session; nothing of theirs was overwritten."""

    def __init__(self, session_id: str, index: int):
        super().__init__(
            f"This session has moved on elsewhere (turn {index} was written by another tab or process); "
            "reload to see it and carry on."
        )
        self.session_id, self.index = session_id, index


def new_session_id() -> str:
    """A random, URL-safe session id."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


class TurnRecord(BaseModel):
    """One utterance of a practice session.

    Learner turns carry `fast_grade` (the offline labels that drove the persona), `grade` (the
    feedback grader's, filled in when it arrives), `override` (a facilitator's grade, which outranks
    both) and `openness` (the persona's, after the turn).
    """

    index: int
    role: Literal["learner", "persona"]
    text: str
    grade: TurnGrade | None = None
    fast_grade: TurnGrade | None = None
    override: TurnGrade | None = None
    openness: float | None = None
    created_at: datetime = Field(default_factory=utc_now)


class SessionInfo(BaseModel):
    """Who practises what, with which backends."""

    id: str = Field(default_factory=new_session_id)
    persona_id: str
    persona_hash: str = ""
    speaker: str
    grader: str
    user_id: str = LOCAL_USER_ID
    assignment_id: int | None = None
    seed: int = 0
    started_at: datetime = Field(default_factory=utc_now)
    parent_id: str | None = None


class SessionRecorder(Protocol):
    """Persists a session as it happens. Each call must be durable when it returns."""

    def start(self, info: SessionInfo) -> None: ...

    def save_turn(self, session_id: str, turn: TurnRecord) -> None:
        """Insert the turn, or update the one with the same index (grades arrive later)."""
        ...

    def finish(self, session_id: str, metrics: SessionMetrics) -> None: ...


class MemoryRecorder:
    """Keeps sessions in memory (tests, and the CLI with --no-save)."""

    def __init__(self) -> None:
        self.sessions: dict[str, SessionInfo] = {}
        self.turns: dict[str, list[TurnRecord]] = {}
        self.metrics: dict[str, SessionMetrics] = {}

    def start(self, info: SessionInfo) -> None:
        self.sessions[info.id] = info
        self.turns[info.id] = []

    def save_turn(self, session_id: str, turn: TurnRecord) -> None:
        turns = self.turns[session_id]
        kept = [t for t in turns if t.index != turn.index]
        turns[:] = sorted([*kept, turn.model_copy(deep=True)], key=lambda t: t.index)

    def finish(self, session_id: str, metrics: SessionMetrics) -> None:
        self.metrics[session_id] = metrics
