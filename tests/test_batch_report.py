"""The batch report: the figures it shows are right, and it is one self-contained file."""

import csv
import html as html_lib
import io
import json
import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.backends import fast_grader
from simulator.batch.jobdb import StoredTurn
from simulator.batch.outputs import TURN_COLUMNS, TurnWriter, cell
from simulator.batch.report import ReportBuilder, TranscriptRow, render_report
from simulator.batch.report_data import attention_rows, band_counts, habit_rows, rq_histogram, score_histogram
from simulator.grader.measured import measured_agreement
from simulator.grades import TurnGrade
from simulator.labels import Label
from simulator.scoring import session_metrics
from tests.test_batch_support import DATA, SAMPLE_LISTENERS, run


def grade(label: str, score: float, *others: str) -> TurnGrade:
    return TurnGrade(
        labels=[Label(label), *map(Label, others)],
        primary=Label(label),
        score=score,
        rationale=f"because {label}",
        grader="hand@1",
    )


def row(transcript_id: str, *grades: TurnGrade) -> TranscriptRow:
    metrics = session_metrics(list(grades), ["x"] * len(grades), ["y"] * len(grades))
    return TranscriptRow(
        transcript_id, f"{transcript_id}.csv", "coach", {"coach": len(grades)}, 2 * len(grades), metrics
    )


def test_attention_ranks_roadblocks_and_low_ratios_first():
    rows = [
        row("good", grade("reflection", 5), grade("reflection", 4.5), grade("open_question", 4)),
        row("fixer", grade("advice", 2), grade("advice", 2), grade("closed_question", 3)),
        row("mixed", grade("reflection", 4.5), grade("reassurance", 2), grade("open_question", 4)),
        row("empty"),
    ]
    ranked = attention_rows(rows)
    assert [r["id"] for r in ranked] == ["fixer", "mixed", "good"]
    assert ranked[0]["roadblock"] == "advice (fixing) (2)"


def test_bands_and_ratio_histogram_follow_miti_thresholds():
    rows = [
        row("a", grade("reflection", 5), grade("reflection", 5), grade("open_question", 4)),
        row("b", grade("reflection", 5), grade("open_question", 4)),
        row("c", grade("closed_question", 3)),
        row("d", grade("advice", 2)),
    ]
    metrics = [r.metrics for r in rows]
    assert [(b["band"], b["count"]) for b in band_counts(metrics)] == [
        ("good", 1),
        ("fair", 1),
        ("below", 1),
        ("n/a", 1),
    ]
    bins = {b["label"]: (b["count"], b["band"]) for b in rq_histogram(metrics)}
    assert bins["0–0.5"] == (1, "below") and bins["1–1.5"] == (1, "fair") and bins["2–3"] == (1, "good")


def test_score_histogram_uses_half_points():
    bins = {b["score"]: b["count"] for b in score_histogram([1.0, 4.5, 4.5, 4.4, 5.0])}
    assert bins == {"1": 1, "1.5": 0, "2": 0, "2.5": 0, "3": 0, "3.5": 0, "4": 0, "4.5": 3, "5": 1}


def test_habits_list_roadblocks_by_frequency_with_a_tip():
    habits = habit_rows(
        Counter({Label.ADVICE: 5, Label.JUDGMENT: 1, Label.REFLECTION: 9}),
        20,
        {Label.ADVICE: "reflect first"},
    )
    assert [(h["label"], h["share"], h["hint"]) for h in habits] == [
        ("advice", 0.25, "reflect first"),
        ("judgment", 0.05, ""),
    ]


def test_examples_prefer_best_listening_and_worst_roadblocks_from_different_transcripts():
    builder = ReportBuilder({}, {})
    for index, (tid, g) in enumerate(
        [
            ("t1", grade("reflection", 4)),
            ("t1", grade("reflection", 5)),
            ("t2", grade("reflection", 5)),
            ("t3", grade("advice", 2)),
            ("t4", grade("advice", 1)),
        ]
    ):
        builder.add_turn({"transcript_id": tid, "index": index, "text": f"turn {index}"}, g)
    examples = {section["label"]: [t["index"] for t in section["turns"]] for section in builder.examples()}
    assert examples == {Label.REFLECTION: [1, 2], Label.ADVICE: [4, 3]}


def test_the_report_is_self_contained_and_escapes_text():
    builder = ReportBuilder({}, {})
    builder.add_transcript(row("t1", grade("advice", 2)))
    builder.add_turn(
        {
            "transcript_id": "t1",
            "index": 1,
            "speaker": "coach",
            "text": "<script>alert(1)</script>",
            "context": "",
            "score": 2.0,
            "rationale": "r",
            "suggestion": None,
        },
        grade("advice", 2),
    )
    html = render_report(builder.finish([]))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html) and "<link" not in html


def test_the_report_of_the_sample_folder_names_habits_and_transcripts(tmp_path):
    run([DATA], tmp_path / "out", listeners=SAMPLE_LISTENERS)
    html = (tmp_path / "out" / "report.html").read_text()
    for heading in (
        "Habits that need work",
        "Label mix",
        "Reflection-to-question ratio against the MITI bands",
        "Score distribution",
        "Transcripts most in need of attention",
        "Example turns per label",
    ):
        assert heading in html
    assert "9 transcripts, 34 graded listener turns" in html and "zoom_maria_tom.vtt" in html


def test_the_report_says_which_grader_graded_and_its_measured_agreement(tmp_path):
    run([DATA], tmp_path / "out", listeners=SAMPLE_LISTENERS)
    html = (tmp_path / "out" / "report.html").read_text()
    grader = fast_grader().name
    assert f"Graded by {grader}" in html
    assert html_lib.escape(measured_agreement(grader)) in html


TEXTS = st.lists(
    st.sampled_from(["=", "+", "-", "@", "'", "\t", "\r", "\n", '"', ",", ";", " ", "é", "😀", "\x00"])
    | st.text(max_size=4),
    max_size=6,
).map("".join)


def ok_grade(labels: list[Label], score, rationale: str, suggestion, grader: str) -> TurnGrade:
    return TurnGrade(
        labels=labels,
        primary=labels[0],
        score=score,
        rationale=rationale,
        suggestion=suggestion,
        grader=grader,
    )


OK_GRADES = st.builds(
    ok_grade,
    st.lists(st.sampled_from(list(Label)), min_size=1, max_size=3),
    st.none() | st.floats(1, 5),
    TEXTS,
    st.none() | TEXTS,
    st.sampled_from(["offline@1", '=llm, "x"']),
)
GRADES = OK_GRADES | st.builds(TurnGrade.failed, st.sampled_from(["offline@1", "@llm"]), TEXTS)


def plainly_written(transcript_id: str, turns: list[StoredTurn]) -> tuple[str, str]:
    """turns.csv and turns.jsonl lines as csv.writer and json.dumps write the record of each turn."""
    csv_stream, lines = io.StringIO(), []
    for turn in turns:
        grade = turn.grade
        record = {
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
        cells = [cell(record[name]) for name in TURN_COLUMNS]
        cells[4] = ";".join(record["labels"])
        cells[5] = record["primary"] or ""
        csv.writer(csv_stream).writerow(cells)
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return csv_stream.getvalue(), "".join(lines)


@settings(max_examples=150, deadline=None, database=None)
@given(
    TEXTS,
    st.lists(GRADES, min_size=1, max_size=3),
    st.lists(st.tuples(TEXTS, TEXTS, TEXTS, st.integers(0, 5)), min_size=1, max_size=8),
)
def test_turn_lines_are_what_csv_writer_and_json_dumps_write(transcript_id, grades, turns):
    stored = [
        StoredTurn(1, index, speaker, True, context, text, grades[pick % len(grades)])
        for index, (speaker, text, context, pick) in enumerate(turns)
    ]
    csv_stream, jsonl_stream = io.StringIO(), io.StringIO()
    writer = TurnWriter(csv_stream, jsonl_stream, ReportBuilder({}, {}))
    writer.add(transcript_id, stored)
    writer.add(transcript_id, [turn._replace(grade=turn.grade.model_copy()) for turn in stored])
    expected_csv, expected_jsonl = plainly_written(transcript_id, stored)
    assert csv_stream.getvalue() == 2 * expected_csv
    assert jsonl_stream.getvalue() == 2 * expected_jsonl


def test_the_report_counts_turns_per_grader_label_and_failure():
    builder = ReportBuilder({}, {})
    turns = [
        ("t1", grade("advice", 2, "judgment")),
        ("t1", grade("advice", 2, "judgment")),
        ("t2", grade("reflection", 5)),
        ("t2", TurnGrade.failed("hand@1", "timeout")),
        ("t3", TurnGrade.failed("other@2", "refused")),
    ]
    for index, (tid, g) in enumerate(turns):
        builder.add_turn({"transcript_id": tid, "index": index, "error": g.error}, g)
    report = builder.finish([])
    labels = {row["label"]: (row["primary"], row["present_share"]) for row in report["labels"]}
    assert report["graders"] == [("hand@1", 4), ("other@2", 1)]
    assert (report["graded"], report["failed_count"], report["mean_score"]) == (3, 2, 3.0)
    assert labels["advice"] == (2, 2 / 3) and labels["judgment"] == (0, 2 / 3)
    assert labels["reflection"] == (1, 1 / 3)
    assert [turn["error"] for turn in report["failed"]] == ["timeout", "refused"]
