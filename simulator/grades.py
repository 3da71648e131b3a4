"""TurnGrade: the graded-turn record every grader returns (labels, primary, score, ...)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.labels import Label


class TurnGrade(BaseModel):
    """One listener turn's grade; `status="failed"` records a grade that could not be made. Immutable, so
    one grade may be shared by many turns (the offline grader reuses equal grades)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: list[Label] = Field(default_factory=list)
    primary: Label | None = None
    score: float | None = Field(default=None, ge=1, le=5)
    rationale: str = ""
    suggestion: str | None = None
    grader: str
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _primary_among_labels(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("status", "ok") != "ok":
            return data
        primary, labels = data.get("primary"), data.get("labels")
        if primary is None or not labels:
            raise ValueError("an ok grade needs labels and a primary")
        if primary not in labels:
            return {**data, "labels": [primary, *labels]}
        return data

    @classmethod
    def failed(cls, grader: str, error: str) -> "TurnGrade":
        """A grade that could not be made, with the reason."""
        return cls(grader=grader, status="failed", error=error)

    @property
    def ok(self) -> bool:
        return self.status == "ok"
