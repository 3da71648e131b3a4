"""The Grader protocol: (what the speaker said, the listener's turn) -> TurnGrade."""

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from simulator.grades import TurnGrade


class GradeRequest(BaseModel):
    """One listener turn to grade, with the speaker's turn before it as context."""

    model_config = ConfigDict(frozen=True)

    context: str = ""
    text: str


@runtime_checkable
class Grader(Protocol):
    """Anything that grades listener turns. `name` includes a version, e.g. 'offline@1.0'."""

    name: str

    def grade(self, request: GradeRequest) -> TurnGrade:
        """Grade one turn. Never raises for model trouble: returns TurnGrade.failed(...) instead."""
        ...

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        """Grade many turns in order (graders may batch for speed)."""
        ...
