"""Pure functions: graded turns -> session metrics (MITI-inspired R:Q ratio, roadblock rate, ...)."""

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from simulator.grades import TurnGrade
from simulator.labels import ROADBLOCKS, Label

RQ_GOOD = 2.0
RQ_FAIR = 1.0
RQBand = Literal["good", "fair", "below", "n/a"]


class SessionMetrics(BaseModel):
    """What a debrief or a batch report shows for one conversation."""

    learner_turns: int
    graded_turns: int
    failed_grades: int
    reflections: int
    questions: int
    open_questions: int
    reflection_to_question: float | None
    rq_band: RQBand
    open_question_share: float | None
    roadblock_rate: float | None
    mean_score: float | None
    talk_balance: float | None
    label_counts: dict[str, int]
    openness: list[float] = []
    breakthrough: bool = False
    breakthrough_turn: int | None = None


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero."""
    return numerator / denominator if denominator else None


def rq_band(reflections: int, questions: int) -> RQBand:
    """MITI band of the reflection-to-question ratio: good >= 2:1, fair >= 1:1."""
    if reflections == 0 and questions == 0:
        return "n/a"
    if questions == 0 or reflections / questions >= RQ_GOOD:
        return "good"
    return "fair" if reflections / questions >= RQ_FAIR else "below"


def word_count(texts: Sequence[str]) -> int:
    """Total whitespace-separated words."""
    return sum(len(text.split()) for text in texts)


def label_counts(grades: Sequence[TurnGrade]) -> Counter:
    """How many ok grades carry each label (a turn counts once per label)."""
    return Counter(label.value for grade in grades if grade.ok for label in set(grade.labels))


def session_metrics(
    grades: Sequence[TurnGrade],
    learner_texts: Sequence[str],
    other_texts: Sequence[str],
    openness: Sequence[float] = (),
    breakthrough_turn: int | None = None,
) -> SessionMetrics:
    """Metrics of one conversation from its listener grades and both sides' texts."""
    ok = [grade for grade in grades if grade.ok]
    counts = label_counts(ok)
    reflections = counts[Label.REFLECTION.value]
    open_questions = counts[Label.OPEN_QUESTION.value]
    questions = open_questions + counts[Label.CLOSED_QUESTION.value]
    roadblocks = sum(1 for grade in ok if ROADBLOCKS & set(grade.labels))
    scores = [grade.score for grade in ok if grade.score is not None]
    learner_words = word_count(learner_texts)
    return SessionMetrics(
        learner_turns=len(learner_texts),
        graded_turns=len(ok),
        failed_grades=len(grades) - len(ok),
        reflections=reflections,
        questions=questions,
        open_questions=open_questions,
        reflection_to_question=ratio(reflections, questions),
        rq_band=rq_band(reflections, questions),
        open_question_share=ratio(open_questions, questions),
        roadblock_rate=ratio(roadblocks, len(ok)),
        mean_score=ratio(sum(scores), len(scores)),
        talk_balance=ratio(learner_words, learner_words + word_count(other_texts)),
        label_counts=dict(sorted(counts.items())),
        openness=list(openness),
        breakthrough=breakthrough_turn is not None,
        breakthrough_turn=breakthrough_turn,
    )
