"""Write turns.csv, turns.jsonl, transcripts.csv, skipped.csv and report.html from the job database."""

import csv
import json
from itertools import groupby
from pathlib import Path

from simulator.batch.jobdb import JobDB, StoredTranscript, StoredTurn
from simulator.batch.report import ReportBuilder, TranscriptRow, render_report
from simulator.files import replacing, spreadsheet_text
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


def cell(value: object) -> object:
    """A value as written to CSV: floats rounded to 4 places, None as empty, text safe to open in a
    spreadsheet (a cell that starts like a formula is shown as text)."""
    if value is None:
        return ""
    return round(value, 4) if isinstance(value, float) else spreadsheet_text(value)


def turn_record(transcript_id: str, turn: StoredTurn) -> dict:
    """One graded turn as a JSON-ready dict (the JSONL row; the CSV joins labels with ';')."""
    grade = turn.grade
    return {
        "transcript_id": transcript_id,
        "index": turn.index,
        "speaker": turn.speaker,
        "text": turn.text,
        "labels": [label.value for label in grade.labels],
        "primary": grade.primary.value if grade.primary else None,
        "score": grade.score,
        "rationale": grade.rationale,
        "grader": grade.grader,
        "status": grade.status,
        "error": grade.error,
        "suggestion": grade.suggestion,
        "context": turn.context,
    }


def csv_turn(record: dict) -> list:
    """A turns.csv row in TURN_COLUMNS order: labels joined with ';', every other text through `cell`
    (the index, labels, primary and status are our own values)."""
    return [
        cell(record["transcript_id"]),
        record["index"],
        cell(record["speaker"]),
        cell(record["text"]),
        ";".join(record["labels"]),
        record["primary"] or "",
        cell(record["score"]),
        cell(record["rationale"]),
        cell(record["grader"]),
        record["status"],
        cell(record["error"]),
        cell(record["suggestion"]),
        cell(record["context"]),
    ]


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
        turn_writer = csv.writer(turns_csv)
        transcript_writer = csv.DictWriter(transcripts_csv, TRANSCRIPT_COLUMNS)
        turn_writer.writerow(TURN_COLUMNS)
        transcript_writer.writeheader()
        transcripts = {transcript.seq: transcript for transcript in db.transcripts()}
        for seq, group in groupby(db.turns(), key=lambda turn: turn.seq):
            turns = list(group)
            row = transcript_row(transcripts[seq], turns)
            transcript_writer.writerow(transcript_csv_row(row))
            builder.add_transcript(row)
            for turn in turns:
                if turn.listener and turn.grade is not None:
                    record = turn_record(row.transcript_id, turn)
                    turn_writer.writerow(csv_turn(record))
                    turns_jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
                    builder.add_turn(record, turn.grade)
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
