"""TurnGrade: the graded-turn record every grader returns (labels, primary, score, ...)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.labels import Label


class TurnGrade(BaseModel):
    """One listener turn's grade; `status="failed"` records a grade that could not be made."""

    model_config = ConfigDict(extra="forbid")

    labels: list[Label] = Field(default_factory=list)
    primary: Label | None = None
    score: float | None = Field(default=None, ge=1, le=5)
    rationale: str = ""
    suggestion: str | None = None
    grader: str
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None

    @model_validator(mode="after")
    def _primary_among_labels(self) -> "TurnGrade":
        if self.status == "ok":
            if self.primary is None or not self.labels:
                raise ValueError("an ok grade needs labels and a primary")
            if self.primary not in self.labels:
                self.labels = [self.primary, *self.labels]
        return self

    @classmethod
    def failed(cls, grader: str, error: str) -> "TurnGrade":
        """A grade that could not be made, with the reason."""
        return cls(grader=grader, status="failed", error=error)

    @property
    def ok(self) -> bool:
        return self.status == "ok"
