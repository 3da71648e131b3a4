"""The batch report: aggregate graded turns and transcript metrics, render one self-contained HTML file."""

from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import NamedTuple

from jinja2 import Environment, FunctionLoader, StrictUndefined

from simulator.batch.report_data import (
    attention_rows,
    band_counts,
    habit_rows,
    label_rows,
    overall_rq,
    rq_histogram,
    score_histogram,
)
from simulator.grader.measured import measured_agreement
from simulator.grader.rubric import HINTS
from simulator.grades import TurnGrade
from simulator.labels import LISTENING, ROADBLOCKS, SHORT_NAMES, Label
from simulator.scoring import SessionMetrics

EXAMPLES_PER_LABEL = 3
CANDIDATES_KEPT = 24
MAX_FAILED_SHOWN = 20
MAX_SKIPPED_SHOWN = 200


@dataclass(frozen=True)
class TranscriptRow:
    """One transcript's identity and session metrics (a row of transcripts.csv)."""

    transcript_id: str
    source: str
    listener: str
    speakers: dict[str, int]
    turns: int
    metrics: SessionMetrics


class GradeSummary(NamedTuple):
    """What the report counts of one grade: equal grades give equal summaries, so a caller may make one
    per distinct grade."""

    grader: str
    ok: bool
    primary: Label | None
    labels: frozenset[Label]
    score: float | None
    example_key: float
    """Example candidates come lowest key first: high scores for listening, low for roadblocks."""


def grade_summary(grade: TurnGrade) -> GradeSummary:
    score = grade.score or 3.0
    key = -score if grade.primary in LISTENING else score if grade.primary in ROADBLOCKS else 0.0
    return GradeSummary(grade.grader, grade.ok, grade.primary, frozenset(grade.labels), grade.score, key)


class Totals(NamedTuple):
    """Turns per grader, per primary label and per label present (ok grades), and failed grades."""

    graders: Counter
    primary: Counter
    present: Counter
    failed: int


def totals(tallies: Counter) -> Totals:
    """The totals of turns counted per grade summary."""
    graders, primary, present, failed = Counter(), Counter(), Counter(), 0
    for summary, turns in tallies.items():
        graders[summary.grader] += turns
        if not summary.ok:
            failed += turns
            continue
        primary[summary.primary] += turns
        for label in summary.labels:
            present[label] += turns
    return Totals(graders, primary, present, failed)


@dataclass
class ReportBuilder:
    """Collects what the report shows while the outputs are written (one pass, bounded memory)."""

    meta: dict[str, str]
    tokens: dict[str, dict[str, int]]
    transcripts: list[TranscriptRow] = field(default_factory=list)
    tallies: Counter = field(default_factory=Counter)
    scores: list[float] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    candidates: dict[Label, list[tuple]] = field(default_factory=dict)
    order: int = 0

    def add_transcript(self, row: TranscriptRow) -> None:
        self.transcripts.append(row)

    def add_turn(self, record: dict, grade: TurnGrade) -> None:
        self.add_summarised(record, grade_summary(grade))

    def add_summarised(self, record: dict, summary: GradeSummary) -> None:
        """`add_turn` with the grade's summary already made."""
        self.order += 1
        self.tallies[summary] += 1
        if not summary.ok:
            if len(self.failed) < MAX_FAILED_SHOWN:
                self.failed.append(record)
            return
        if summary.score is not None:
            self.scores.append(summary.score)
        self.add_candidate(record, summary)

    def add_candidate(self, record: dict, summary: GradeSummary) -> None:
        """Keep the best example candidates per primary label (by key, then arrival: never a tie)."""
        kept = self.candidates.get(summary.primary)
        if kept is None:
            kept = self.candidates[summary.primary] = []
        kept.append((summary.example_key, self.order, record))
        if len(kept) > 2 * CANDIDATES_KEPT:
            kept.sort()
            del kept[CANDIDATES_KEPT:]

    def examples(self) -> list[dict]:
        """Up to EXAMPLES_PER_LABEL example turns per label, from different transcripts where possible."""
        sections = []
        for label in Label:
            kept = sorted(self.candidates.get(label, []), key=lambda item: item[:2])
            chosen, seen = [], set()
            for *_, record in kept:
                if record["transcript_id"] not in seen and len(chosen) < EXAMPLES_PER_LABEL:
                    chosen.append(record)
                    seen.add(record["transcript_id"])
            if chosen:
                sections.append({"label": label, "name": SHORT_NAMES[label], "turns": chosen})
        return sections

    def finish(self, skipped: list) -> dict:
        """Everything the template needs."""
        counted = totals(self.tallies)
        graded = sum(counted.primary.values())
        graders = sorted(counted.graders.items())
        metrics = [row.metrics for row in self.transcripts]
        return {
            "meta": self.meta,
            "tokens": self.tokens,
            "graders": graders,
            "agreement": [measured_agreement(name) for name, _ in graders],
            "transcript_count": len(self.transcripts),
            "graded": graded,
            "failed_count": counted.failed,
            "failed": self.failed,
            "skipped": skipped[:MAX_SKIPPED_SHOWN],
            "skipped_count": len(skipped),
            "mean_score": sum(self.scores) / len(self.scores) if self.scores else None,
            "labels": label_rows(counted.primary, counted.present, graded),
            "habits": habit_rows(counted.present, graded, HINTS),
            "rq": overall_rq(metrics),
            "bands": band_counts(metrics),
            "rq_bins": rq_histogram(metrics),
            "score_bins": score_histogram(self.scores),
            "attention": attention_rows(self.transcripts),
            "examples": self.examples(),
        }


def template_text(name: str) -> str:
    """A template shipped in simulator/batch/templates."""
    return resources.files("simulator.batch").joinpath(f"templates/{name}").read_text(encoding="utf-8")


def report_environment() -> Environment:
    """The Jinja environment of every HTML report (batch and cohort): autoescaped, strict, the `pct` and
    `num` filters, templates (and the stylesheet they share) loaded from simulator/batch/templates."""
    environment = Environment(
        loader=FunctionLoader(template_text),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["pct"] = lambda value: "–" if value is None else f"{100 * value:.0f}%"
    environment.filters["num"] = lambda value, places=2: "–" if value is None else f"{value:.{places}f}"
    return environment


def render_report(data: dict) -> str:
    """The report as one HTML string (inline CSS, no scripts, nothing fetched)."""
    return report_environment().get_template("report.html.j2").render(**data)
