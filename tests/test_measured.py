"""The measured-agreement line shown beside grades: read from the generated agreement file."""

import json
from pathlib import Path

from simulator.backends import fast_grader
from simulator.grader.measured import agreement_figures, measured_agreement

GENERATED = Path(__file__).resolve().parent.parent / "evals" / "results" / "agreement.json"


def test_the_shipped_grader_is_described_by_the_generated_file_headline_first():
    figures = json.loads(GENERATED.read_text(encoding="utf-8"))
    shipped = fast_grader().name
    assert figures["shipped"] == shipped and agreement_figures() == figures
    headline = figures["sets"][figures["headline"]]["graders"][shipped]
    line = measured_agreement(shipped)
    assert line.startswith(f"Graded by {shipped}: on {headline['turns']} listener turns from settings")
    assert f"macro-F1 {headline['macro_f1']:.2f}" in line.split(";")[0]


def test_a_grader_that_was_never_measured_says_so():
    figures = {"headline": "x", "sets": {"x": {"graders": {"offline@1": {"turns": 5}}}}}
    assert "no measured agreement" in measured_agreement("llm:some-model@grade_v2", figures)
