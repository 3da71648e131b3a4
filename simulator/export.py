"""A practice session as plain JSON: turns (learner items carry their grade) and a summary."""

from typing import Any

from simulator.grades import TurnGrade
from simulator.session import PracticeSession, effective_grade

GRADE_FIELDS = ("labels", "primary", "score", "rationale", "suggestion", "grader", "status", "error")


def grade_json(grade: TurnGrade | None) -> dict[str, Any] | None:
    """The graded-turn fields of a grade, JSON-ready."""
    return None if grade is None else grade.model_dump(mode="json", include=set(GRADE_FIELDS))


def session_json(session: PracticeSession) -> dict[str, Any]:
    """The whole session: persona, backends, turns and summary metrics."""
    turns = []
    for turn in session.turns:
        item: dict[str, Any] = {"index": turn.index, "role": turn.role, "text": turn.text}
        if turn.role == "learner":
            item["grade"] = grade_json(effective_grade(turn))
            item["fast_labels"] = [label.value for label in turn.fast_grade.labels] if turn.fast_grade else []
            item["openness"] = turn.openness
        turns.append(item)
    return {
        "session_id": session.id,
        "persona": session.persona.id,
        "speaker": session.speaker.name,
        "grader": session.feedback_grader.name,
        "turns": turns,
        "summary": session.metrics().model_dump(mode="json"),
    }
