"""The batch report: aggregate graded turns and transcript metrics, render one self-contained HTML file."""

from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

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


@dataclass
class ReportBuilder:
    """Collects what the report shows while the outputs are written (one pass, bounded memory)."""

    meta: dict[str, str]
    tokens: dict[str, dict[str, int]]
    transcripts: list[TranscriptRow] = field(default_factory=list)
    primary: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    scores: list[float] = field(default_factory=list)
    graders: Counter = field(default_factory=Counter)
    failed: list[dict] = field(default_factory=list)
    failed_count: int = 0
    candidates: dict[Label, list[tuple]] = field(default_factory=dict)
    order: int = 0

    def add_transcript(self, row: TranscriptRow) -> None:
        self.transcripts.append(row)

    def add_turn(self, record: dict, grade: TurnGrade) -> None:
        self.order += 1
        self.graders[grade.grader] += 1
        if not grade.ok:
            self.failed_count += 1
            if len(self.failed) < MAX_FAILED_SHOWN:
                self.failed.append(record)
            return
        self.primary[grade.primary] += 1
        self.present.update(set(grade.labels))
        if grade.score is not None:
            self.scores.append(grade.score)
        self.add_candidate(record, grade)

    def add_candidate(self, record: dict, grade: TurnGrade) -> None:
        """Keep example candidates per primary label: high scores for listening, low for roadblocks."""
        score = grade.score or 3.0
        key = -score if grade.primary in LISTENING else score if grade.primary in ROADBLOCKS else 0.0
        kept = self.candidates.setdefault(grade.primary, [])
        kept.append((key, self.order, record))
        if len(kept) > 2 * CANDIDATES_KEPT:
            kept.sort(key=lambda item: item[:2])
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
        graded = sum(self.primary.values())
        metrics = [row.metrics for row in self.transcripts]
        return {
            "meta": self.meta,
            "tokens": self.tokens,
            "graders": sorted(self.graders.items()),
            "agreement": [measured_agreement(name) for name, _ in sorted(self.graders.items())],
            "transcript_count": len(self.transcripts),
            "graded": graded,
            "failed_count": self.failed_count,
            "failed": self.failed,
            "skipped": skipped[:MAX_SKIPPED_SHOWN],
            "skipped_count": len(skipped),
            "mean_score": sum(self.scores) / len(self.scores) if self.scores else None,
            "labels": label_rows(self.primary, self.present, graded),
            "habits": habit_rows(self.present, graded, HINTS),
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
