"""`listenlab batch`: grade every listener turn of many transcripts, with a Rich progress bar and summary."""

import math
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from simulator.batch import BatchOptions, BatchSummary, GraderError, GraderSpec, JobConflict, run_batch
from simulator.batch.graders import Granularity
from simulator.batch.runner import Engine
from simulator.batch.workspace import read_csv_rows
from simulator.settings import Settings
from simulator.transcripts import DEFAULT_MAX_CHARS

EXIT_FAILED_TURNS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


PHASE_UNITS = {"Reading": "files", "Grading": "turns"}


class RateColumn(ProgressColumn):
    """Items per second over the last half minute (Rich's own speed estimate), in the phase's unit."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "items")
        return Text(f"{speed:,.0f} {unit}/s" if speed else "", style="progress.data.speed")


class RichProgress:
    """BatchProgress on a Rich bar: one task per phase with its rate, the failed grades so far and an ETA."""

    def __init__(self, console: Console, get_time: Callable[[], float] | None = None):
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            get_time=get_time,
        )
        self.task = None
        self.failed = 0
        self.done = 0

    def start(self, phase: str, total: int, done: int = 0) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[-1].total)
        self.failed, self.done = 0, done
        unit = PHASE_UNITS.get(phase, "items")
        self.task = self.bar.add_task(phase, total=total, completed=done, failed="", unit=unit)

    def advance(self, done: int, failed: int = 0) -> None:
        self.failed += failed
        self.done += done
        label = f"[red]{self.failed} failed[/red]" if self.failed else ""
        self.bar.update(self.task, advance=done, failed=label)


def summary_table(summary: BatchSummary) -> Table:
    """The closing table: what was graded, what failed, what is left and what was skipped, apart."""
    table = Table(title=f"Batch {'resumed' if summary.resumed else 'done'}: {summary.out}", show_header=False)
    pending = summary.turns - summary.graded - summary.failed
    rows = [
        ("grader", summary.grader),
        ("transcripts graded", f"{summary.transcripts:,}"),
        ("inputs skipped", f"{summary.skipped:,}" + ("  (see skipped.csv)" if summary.skipped else "")),
        ("listener turns", f"{summary.turns:,}"),
        ("graded ok", f"{summary.graded:,}  ({summary.graded_now:,} in this run)"),
        (
            "failed",
            f"{summary.failed:,}  ({summary.failed_now:,} in this run)"
            + ("  (run the same command again to retry)" if summary.failed else ""),
        ),
    ]
    if pending:
        rows.append(("not graded yet", f"{pending:,}  (run the same command again to go on)"))
    rows.append(("time", f"{summary.seconds:.1f} s"))
    rows += [
        (f"tokens per {mode}", f"{u['input_tokens']:,} in / {u['output_tokens']:,} out, {u['calls']:,} calls")
        for mode, u in summary.tokens.items()
    ]
    rows.append(("report", str(summary.out / "report.html")))
    for name, value in rows:
        table.add_row(name, value)
    return table


def print_skipped(errors: Console, out: Path, nothing_graded: bool, shown: int = 5) -> None:
    """The first skipped inputs with their reasons (all of them are in skipped.csv)."""
    rows = read_csv_rows(out / "skipped.csv")
    if not rows:
        return
    errors.print("Nothing to grade. Skipped:" if nothing_graded else "Skipped:", style="bold")
    for row in rows[:shown]:
        errors.print(
            f"  {row['transcript_id'] or row['input']}: {row['reason']}", highlight=False, soft_wrap=True
        )
    if len(rows) > shown:
        errors.print(f"  ... and {len(rows) - shown} more in {out / 'skipped.csv'}", soft_wrap=True)


def grader_spec(grader: str, granularity: Granularity, rpm: float | None, attempts: int) -> GraderSpec:
    """The spec, with the model settings resolved here (so Ray workers need no environment of their own)."""
    settings = Settings().model_dump(mode="json") if grader == "llm" else {}
    return GraderSpec(kind=grader, granularity=granularity, rpm=rpm, attempts=attempts, settings=settings)


def finite_rpm(value: float | None) -> float | None:
    """--rpm must be a finite number above 0 (leaving it out means no limit)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(
            f"{value} is not a request rate: give a finite number of requests per minute above 0, "
            "or leave --rpm out for no limit"
        )
    return value


def batch(
    inputs: list[str] = typer.Argument(
        ..., help="Transcript files, folders or glob patterns (.jsonl .csv .tsv .txt .vtt .srt)."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output folder: results, report and the job database (resume here)."
    ),
    grader: str = typer.Option("offline", help="offline | llm | module:factory."),
    granularity: Granularity = typer.Option("turn", help="LLM calls per turn or per transcript."),
    concurrency: int = typer.Option(8, min=1, help="Model calls (or Ray tasks) in flight at once."),
    rpm: float | None = typer.Option(
        None, callback=finite_rpm, help="At most this many model requests per minute."
    ),
    listener: list[str] = typer.Option(
        [], "--listener", "-l", help="Whose turns are graded (repeat for several names)."
    ),
    engine: Engine = typer.Option(
        "auto",
        help="auto (worker processes for 50,000 or more offline turns on a machine with more than one "
        "core, else local) | local (one process) | processes (worker processes on this machine) | ray.",
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes for --engine processes (default: one per core)."
    ),
    ray_address: str | None = typer.Option(
        None, help="Ray cluster address (default: start Ray on this machine)."
    ),
    attempts: int = typer.Option(5, min=1, help="Attempts per model call on 429, 5xx and timeouts."),
    max_chars: int = typer.Option(
        DEFAULT_MAX_CHARS, min=1, help="Skip transcripts with more text than this."
    ),
    restart: bool = typer.Option(
        False, help="Discard the batch job already in --out and start again (only a batch job's folder)."
    ),
    max_failures: int | None = typer.Option(
        None, min=1, help="Stop once this many grades have failed in this run (a misconfigured server)."
    ),
) -> None:
    """Grade every listener turn of every transcript found; interrupted runs resume with the same command."""
    errors, console = Console(stderr=True), Console()
    options = BatchOptions(
        inputs=inputs,
        out=out,
        grader=grader_spec(grader, granularity, rpm, attempts),
        concurrency=concurrency,
        listeners=listener,
        engine=engine,
        workers=workers,
        ray_address=ray_address,
        max_chars=max_chars,
        restart=restart,
        max_failures=max_failures,
    )
    progress = RichProgress(errors)
    try:
        with progress.bar:
            summary = run_batch(options, progress)
    except (JobConflict, GraderError) as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from exc
    except KeyboardInterrupt:
        errors.print(
            f"Interrupted. Every grade made so far is saved in {out}; run the same command to go on.",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    console.print(summary_table(summary))
    if summary.stopped:
        errors.print(f"[red]{summary.stopped}[/red]", highlight=False, soft_wrap=True)
    print_skipped(errors, summary.out, nothing_graded=not summary.transcripts)
    if summary.failed or summary.stopped or not summary.transcripts:
        raise typer.Exit(EXIT_FAILED_TURNS)


def register(app: typer.Typer) -> None:
    """Add the `batch` command to the listenlab app."""
    app.command("batch")(batch)
