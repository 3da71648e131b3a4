"""Session metrics from hand-built grades."""

import pytest

from simulator.grades import TurnGrade
from simulator.scoring import rq_band, session_metrics
from tests.fakes import grade_of


@pytest.mark.parametrize(
    ("r", "q", "band"),
    [(0, 0, "n/a"), (2, 1, "good"), (3, 0, "good"), (1, 1, "fair"), (3, 2, "fair"), (1, 2, "below")],
)
def test_rq_band(r, q, band):
    assert rq_band(r, q) == band


def test_metrics_of_a_mixed_session():
    grades = [
        grade_of("reflection", score=5),
        grade_of("open_question", score=4),
        grade_of("advice", "reflection", score=2),
        grade_of("closed_question", score=3),
        TurnGrade.failed("x", "timeout"),
    ]
    m = session_metrics(grades, ["a b", "c d", "e f", "g h", "i j"], ["w " * 30], [0.4, 0.5], None)
    assert (m.reflections, m.questions, m.open_questions) == (2, 2, 1)
    assert m.reflection_to_question == 1.0 and m.rq_band == "fair"
    assert m.open_question_share == 0.5
    assert m.roadblock_rate == 0.25
    assert m.mean_score == pytest.approx(3.5)
    assert m.failed_grades == 1 and m.graded_turns == 4
    assert m.talk_balance == pytest.approx(10 / 40)
    assert m.label_counts["advice"] == 1 and not m.breakthrough


def test_empty_session_has_no_ratios():
    m = session_metrics([], [], [])
    assert m.reflection_to_question is None and m.mean_score is None and m.rq_band == "n/a"
