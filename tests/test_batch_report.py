"""The batch report: the figures it shows are right, and it is one self-contained file."""

import html as html_lib
import re
from collections import Counter

from simulator.backends import fast_grader
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
