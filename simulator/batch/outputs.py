"""Write turns.csv, turns.jsonl, transcripts.csv, skipped.csv and report.html from the job database."""

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import IO, NamedTuple

from simulator.batch.jobdb import JobDB, StoredTranscript, StoredTurn
from simulator.batch.report import GradeSummary, ReportBuilder, TranscriptRow, grade_summary, render_report
from simulator.files import replacing, spreadsheet_text
from simulator.grades import TurnGrade
from simulator.labels import ALL_LABELS
from simulator.scoring import session_metrics

TURN_COLUMNS = (
    "transcript_id",
    "index",
    "speaker",
    "text",
    "labels",
    "primary",
    "score",
    "rationale",
    "grader",
    "status",
    "error",
    "suggestion",
    "context",
)
METRIC_COLUMNS = (
    "learner_turns",
    "graded_turns",
    "failed_grades",
    "reflections",
    "questions",
    "open_questions",
    "reflection_to_question",
    "rq_band",
    "open_question_share",
    "roadblock_rate",
    "mean_score",
    "talk_balance",
)
TRANSCRIPT_COLUMNS = (
    "transcript_id",
    "source",
    "listener",
    "speakers",
    "turns",
    *METRIC_COLUMNS,
    *(f"label_{label.value}" for label in ALL_LABELS),
)
SKIPPED_COLUMNS = ("input", "transcript_id", "reason")
OUTPUT_NAMES = ("turns.csv", "turns.jsonl", "transcripts.csv", "skipped.csv", "report.html")
JSON = json.JSONEncoder(ensure_ascii=False)
MAX_CACHED_GRADES = 2048


def cell(value: object) -> object:
    """A value as written to CSV: floats rounded to 4 places, None as empty, text safe to open in a
    spreadsheet (a cell that starts like a formula is shown as text)."""
    if value is None:
        return ""
    return round(value, 4) if isinstance(value, float) else spreadsheet_text(value)


def csv_value(value: object) -> str:
    """A value as `csv.writer` writes it (the default dialect): None as empty, other non-text as str();
    quoted when it holds a comma, a quote or a line break, its quotes doubled."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def csv_fields(values: Iterable) -> str:
    """A row of two or more values as `csv.writer` writes it, without the line ending (the writer
    would write a row of one empty value as a quoted empty text)."""
    return ",".join(map(csv_value, values))


def text_cell(text: str) -> str:
    """A text as a turns.csv field: `cell` of it, as `csv.writer` writes it."""
    return csv_value(spreadsheet_text(text))


class GradeParts(NamedTuple):
    """A grade's share of its turn's outputs (the same for every turn with an equal grade)."""

    entries: dict
    """The turn record's entries from "labels" to "suggestion"."""
    csv: str
    """Their turns.csv fields, comma-separated."""
    json: str
    """Their turns.jsonl members, comma-separated."""
    summary: GradeSummary
    """What the report counts of it."""


def grade_entries(grade: TurnGrade) -> dict:
    return {
        "labels": [label.value for label in grade.labels],
        "primary": grade.primary.value if grade.primary else None,
        "score": grade.score,
        "rationale": grade.rationale,
        "grader": grade.grader,
        "status": grade.status,
        "error": grade.error,
        "suggestion": grade.suggestion,
    }


def grade_cells(entries: dict) -> list:
    """The grade's turns.csv cells: labels joined with ';', every other text through `cell` (the
    labels, primary and status are our own values)."""
    return [
        ";".join(entries["labels"]),
        entries["primary"] or "",
        cell(entries["score"]),
        cell(entries["rationale"]),
        cell(entries["grader"]),
        entries["status"],
        cell(entries["error"]),
        cell(entries["suggestion"]),
    ]


def grade_parts(grade: TurnGrade) -> GradeParts:
    """The pieces the grade gives every turn it grades."""
    entries = grade_entries(grade)
    csv_members, json_members = csv_fields(grade_cells(entries)), JSON.encode(entries)[1:-1]
    return GradeParts(entries, csv_members, json_members, grade_summary(grade))


def grade_key(grade: TurnGrade) -> tuple:
    """Every field of the grade (lists as tuples): grades with equal keys have equal parts."""
    return tuple(tuple(value) if isinstance(value, list) else value for value in grade.__dict__.values())


@dataclass
class GradeCache:
    """GradeParts of the first MAX_CACHED_GRADES distinct grades. The offline grader gives the same
    grade to many turns, so its parts are made once each; the parts of grades past the limit are made
    afresh and not kept, so memory stays bounded (and the garbage collector has little to walk) when
    every grade differs."""

    parts: dict[tuple, GradeParts] = field(default_factory=dict)

    def of(self, grade: TurnGrade) -> GradeParts:
        key = grade_key(grade)
        parts = self.parts.get(key)
        if parts is None:
            parts = grade_parts(grade)
            if len(self.parts) < MAX_CACHED_GRADES:
                self.parts[key] = parts
        return parts


def turn_record(transcript_id: str, turn: StoredTurn, entries: dict) -> dict:
    """One graded turn as a JSON-ready dict (the JSONL row; the CSV joins labels with ';')."""
    return {
        "transcript_id": transcript_id,
        "index": turn.index,
        "speaker": turn.speaker,
        "text": turn.text,
        **entries,
        "context": turn.context,
    }


def csv_turn(transcript_field: str, turn: StoredTurn, parts: GradeParts) -> str:
    """A turns.csv line in TURN_COLUMNS order."""
    speaker, text, context = text_cell(turn.speaker), text_cell(turn.text), text_cell(turn.context)
    return f"{transcript_field},{turn.index},{speaker},{text},{parts.csv},{context}\r\n"


def json_turn(transcript_json: str, turn: StoredTurn, parts: GradeParts) -> str:
    """A turns.jsonl line: `json.dumps(turn_record(...), ensure_ascii=False)`, made from pieces."""
    speaker, text, context = JSON.encode(turn.speaker), JSON.encode(turn.text), JSON.encode(turn.context)
    return (
        f'{{"transcript_id": {transcript_json}, "index": {turn.index}, "speaker": {speaker}, '
        f'"text": {text}, {parts.json}, "context": {context}}}\n'
    )


@dataclass
class TurnWriter:
    """turns.csv and turns.jsonl, a transcript at a time; each graded turn also goes to the report."""

    csv_stream: IO[str]
    jsonl_stream: IO[str]
    builder: ReportBuilder
    grades: GradeCache = field(default_factory=GradeCache)

    def start(self) -> None:
        self.csv_stream.write(csv_fields(TURN_COLUMNS) + "\r\n")

    def add(self, transcript_id: str, turns: list[StoredTurn]) -> None:
        transcript_field, transcript_json = text_cell(transcript_id), JSON.encode(transcript_id)
        csv_lines, json_lines = [], []
        for turn in turns:
            if turn.listener and turn.grade is not None:
                parts = self.grades.of(turn.grade)
                csv_lines.append(csv_turn(transcript_field, turn, parts))
                json_lines.append(json_turn(transcript_json, turn, parts))
                self.builder.add_summarised(turn_record(transcript_id, turn, parts.entries), parts.summary)
        self.csv_stream.write("".join(csv_lines))
        self.jsonl_stream.write("".join(json_lines))


def transcript_row(transcript: StoredTranscript, turns: list[StoredTurn]) -> TranscriptRow:
    """Session metrics of one transcript from its turns (listener grades and both sides' texts)."""
    grades = [turn.grade for turn in turns if turn.listener and turn.grade is not None]
    mine = [turn.text for turn in turns if turn.listener]
    others = [turn.text for turn in turns if not turn.listener]
    metrics = session_metrics(grades, mine, others)
    return TranscriptRow(
        transcript.id, transcript.source, transcript.listener, transcript.speakers, len(turns), metrics
    )


def transcript_csv_row(row: TranscriptRow) -> dict:
    metrics = row.metrics.model_dump()
    values = {name: cell(metrics[name]) for name in METRIC_COLUMNS}
    labels = {f"label_{label.value}": row.metrics.label_counts.get(label.value, 0) for label in ALL_LABELS}
    speakers = "; ".join(f"{name} ({count})" for name, count in row.speakers.items())
    base = {
        "transcript_id": cell(row.transcript_id),
        "source": cell(row.source),
        "listener": cell(row.listener),
        "speakers": cell(speakers),
    }
    return {**base, "turns": row.turns, **values, **labels}


def write_outputs(db: JobDB, out: Path) -> list[Path]:
    """All output files, deterministic in order and content for the same graded job."""
    builder = ReportBuilder(db.meta(), db.token_usage())
    with (
        replacing(out / "turns.csv", newline="") as turns_csv,
        replacing(out / "turns.jsonl") as turns_jsonl,
        replacing(out / "transcripts.csv", newline="") as transcripts_csv,
    ):
        turn_writer = TurnWriter(turns_csv, turns_jsonl, builder)
        transcript_writer = csv.DictWriter(transcripts_csv, TRANSCRIPT_COLUMNS)
        turn_writer.start()
        transcript_writer.writeheader()
        transcripts = {transcript.seq: transcript for transcript in db.transcripts()}
        for seq, group in groupby(db.turns(), key=lambda turn: turn.seq):
            turns = list(group)
            row = transcript_row(transcripts[seq], turns)
            transcript_writer.writerow(transcript_csv_row(row))
            builder.add_transcript(row)
            turn_writer.add(row.transcript_id, turns)
    skipped = db.skipped()
    write_skipped(out / "skipped.csv", skipped)
    with replacing(out / "report.html") as report:
        report.write(render_report(builder.finish(skipped)))
    return [out / name for name in OUTPUT_NAMES]


def write_skipped(path: Path, skipped) -> None:
    with replacing(path, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(SKIPPED_COLUMNS)
        writer.writerows([cell(s.input), cell(s.transcript_id), cell(s.reason)] for s in skipped)
