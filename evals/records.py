"""LabelledTurn: one human-labelled listener turn, and reading/writing them as JSONL."""

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.labels import Label

DATA_DIR = Path(__file__).parent / "data"


class LabelledTurn(BaseModel):
    """A listener turn with its gold labels; `primary` is always among `labels`."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    id: str
    context: str = ""
    text: str
    labels: list[Label]
    primary: Label
    setting: str | None = None
    register_: str | None = Field(None, alias="register")
    source: str | None = None
    code: str | None = None
    group: str | None = None

    @model_validator(mode="after")
    def _check_labels(self) -> "LabelledTurn":
        if not self.text.strip():
            raise ValueError("text is empty")
        if self.primary not in self.labels:
            raise ValueError(f"primary {self.primary.value!r} is not among labels")
        return self

    def to_json(self) -> str:
        """One compact JSON line (optional fields left out when empty)."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True, by_alias=True), ensure_ascii=False)


class BadRow(ValueError):
    """A JSONL line that could not be read, with its 1-based line number."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"line {line_number}: {reason}")
        self.line_number = line_number
        self.reason = reason


def read_labelled(path: Path, strict: bool = True) -> tuple[list[LabelledTurn], list[BadRow]]:
    """Read a labelled JSONL file; strict raises on the first bad row, else bad rows are returned."""
    turns: list[LabelledTurn] = []
    bad: list[BadRow] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            turns.append(LabelledTurn.model_validate_json(line))
        except ValidationError as error:
            problem = BadRow(number, _short_reason(error))
            if strict:
                raise problem from error
            bad.append(problem)
    return turns, bad


def write_labelled(path: Path, turns: Iterable[LabelledTurn]) -> int:
    """Write turns as JSONL; returns how many were written."""
    lines = [turn.to_json() for turn in turns]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def authored_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The project's hand-written data files (evals/data/authored_*.jsonl), sorted by name."""
    return sorted(Path(data_dir).glob("authored_*.jsonl"))


def _short_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "row"
    return f"{where}: {first.get('msg', 'invalid')}"
