"""CLI commands for the grader: train-grader, grade-turns and eval-grader (see `register`)."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import typer
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from rich.console import Console

from simulator.files import FileProblem, check_output, replacing, replacing_file, utf8_lines
from simulator.grader.base import Grader, GradeRequest
from simulator.settings import GraderName, Settings

BATCH = 256
GraderFactory = Callable[[GraderName, Settings], Grader]


class TurnRow(BaseModel):
    """One input row of grade-turns: an id, what the speaker said and the listener's turn."""

    model_config = ConfigDict(extra="allow")

    id: str | int
    context: str = ""
    text: str

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


def default_grader(name: GraderName, settings: Settings) -> Grader:
    """The offline grader, or the LLM grader on the configured OpenAI-compatible endpoint."""
    from simulator.backends import make_feedback_grader

    return make_feedback_grader(settings.model_copy(update={"grader": name}))


def read_turn_rows(stream: IO[bytes]) -> Iterator[tuple[int, TurnRow | str]]:
    """(line number, row) for good lines, (line number, reason) for bad ones (not UTF-8, not JSON, a
    missing field); blank lines skipped."""
    for number, line, problem in utf8_lines(stream):
        if problem is not None:
            yield number, problem
        elif line.strip():
            yield number, turn_row(line)


def open_input(path: Path) -> IO[bytes]:
    """The input file opened for reading, or FileProblem saying why it cannot be."""
    try:
        return open(path, "rb")
    except OSError as error:
        raise FileProblem(f"{path}: cannot read: {error.strerror or error}") from error


def turn_row(line: str) -> TurnRow | str:
    """One JSONL line as a TurnRow, or the reason it is not one."""
    try:
        return TurnRow.model_validate_json(line)
    except ValidationError as error:
        return _reason(error)


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else first["msg"]


def graded_row(row: TurnRow, grade) -> dict[str, Any]:
    """The input row with the graded-turn fields added."""
    fields = grade.model_dump(mode="json", exclude_none=True)
    return {**row.model_dump(mode="json"), **fields}


def grade_file(source: Path, target: Path, grader: Grader, report: Callable[[str], None]) -> tuple[int, int]:
    """Grade every good row in order, write JSONL, report bad rows; returns (graded, skipped). The
    output replaces `target` only when complete; FileProblem when the output is the input, its folder
    is missing, or the input cannot be read."""
    check_output(target, [source])
    graded = skipped = 0
    pending: list[TurnRow] = []
    with open_input(source) as stream, replacing(target) as out:
        for number, item in read_turn_rows(stream):
            if isinstance(item, str):
                report(f"{source}: line {number}: skipped: {item}")
                skipped += 1
                continue
            pending.append(item)
            if len(pending) >= BATCH:
                graded += _flush(pending, grader, out)
        graded += _flush(pending, grader, out)
    return graded, skipped


def _flush(rows: list[TurnRow], grader: Grader, out) -> int:
    requests = [GradeRequest(context=row.context, text=row.text) for row in rows]
    for row, grade in zip(rows, grader.grade_many(requests), strict=True):
        out.write(json.dumps(graded_row(row, grade), ensure_ascii=False) + "\n")
    count = len(rows)
    rows.clear()
    return count


def evaluate_file(labelled: Path, grader: Grader, report: Callable[[str], None]):
    """Grade a labelled file and compare with its gold labels; failed grades are reported, not scored."""
    from evals.metrics import agreement
    from evals.records import read_labelled

    turns, bad = read_labelled(labelled, strict=False)
    for problem in bad:
        report(f"{labelled}: {problem}: skipped")
    grades = grader.grade_many([GradeRequest(context=t.context, text=t.text) for t in turns])
    kept = [(turn, grade) for turn, grade in zip(turns, grades, strict=True) if grade.ok]
    for turn, grade in zip(turns, grades, strict=True):
        if not grade.ok:
            report(f"{turn.id}: grade failed: {grade.error}")
    if not kept:
        raise ValueError("no turn could be graded")
    gold, made = [t for t, _ in kept], [g for _, g in kept]
    return agreement(
        [t.labels for t in gold],
        [t.primary for t in gold],
        [g.labels for g in made],
        [g.primary for g in made],
    )


def _settings(grader: GraderName | None, base_url: str | None, model: str | None) -> Settings:
    overrides = {"grader": grader, "openai_base_url": base_url, "model": model}
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


def register(app: typer.Typer, make_grader: GraderFactory = default_grader) -> None:
    """Add train-grader, grade-turns and eval-grader to a Typer app."""
    console, errors = Console(), Console(stderr=True, highlight=False, soft_wrap=True)

    @app.command("train-grader")
    def train_grader(quick: bool = typer.Option(False, help="Skip the hyper-parameter search.")):
        """Retrain the offline grader from evals/data (needs scikit-learn); writes the shipped artifact."""
        from evals.train import train

        result = train(quick=quick)
        for name, scores in result["test"].items():
            console.print(
                f"{name}: macro-F1 {scores['macro_f1']:.3f}, primary kappa {scores['primary_kappa']:.3f}"
            )
        console.print(f"artifact offline@{result['version']} ({result['artifact_bytes'] / 1e6:.2f} MB)")

    @app.command("grade-turns")
    def grade_turns(
        source: Path = typer.Argument(
            ..., exists=True, dir_okay=False, help="JSONL rows: id, context, text."
        ),
        output: Path = typer.Option(..., "--output", "-o", help="Where to write the graded JSONL."),
        grader: GraderName | None = typer.Option(None, help="offline | llm (default from settings)."),
        base_url: str | None = typer.Option(None, help="OpenAI-compatible endpoint for --grader llm."),
        model: str | None = typer.Option(None, help="Model name for --grader llm."),
    ):
        """Grade listener turns; rows keep their order; bad rows are reported by line and skipped (exit 1)."""
        settings = _settings(grader, base_url, model)
        chosen = make_grader(settings.grader, settings)
        try:
            graded, skipped = grade_file(source, output, chosen, errors.print)
        except FileProblem as error:
            errors.print(str(error), markup=False)
            raise typer.Exit(2) from error
        errors.print(f"graded {graded} turn(s) with {chosen.name}; skipped {skipped} bad row(s)")
        if skipped:
            raise typer.Exit(1)

    @app.command("eval-grader")
    def eval_grader(
        labelled: Path = typer.Argument(
            ..., exists=True, dir_okay=False, help="Labelled JSONL (evals/data format)."
        ),
        grader: GraderName | None = typer.Option(None, help="offline | llm (default from settings)."),
        json_path: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON."),
        html_path: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML page."),
        base_url: str | None = typer.Option(None, help="OpenAI-compatible endpoint for --grader llm."),
        model: str | None = typer.Option(None, help="Model name for --grader llm."),
    ):
        """Agreement with human labels: per-label P/R/F1, macro-F1, kappa on primary, confusion matrix."""
        from evals.report import print_report, write_html, write_json

        settings = _settings(grader, base_url, model)
        chosen = make_grader(settings.grader, settings)
        outputs = {
            path: writer for path, writer in ((json_path, write_json), (html_path, write_html)) if path
        }
        try:
            for path in outputs:
                check_output(path, [labelled])
            result = evaluate_file(labelled, chosen, errors.print)
        except ValueError as error:
            errors.print(str(error), markup=False)
            raise typer.Exit(2) from error
        print_report(result, chosen.name, console)
        for path, writer in outputs.items():
            with replacing_file(path) as partial:
                writer(result, chosen.name, partial)
