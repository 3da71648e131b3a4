"""Conversions between the core records (SessionInfo, TurnRecord, TurnGrade) and table rows."""

from simulator.grades import TurnGrade
from simulator.labels import Label
from simulator.recording import SessionInfo, TurnRecord
from simulator.store.models import GradeRow, SessionRow, TurnRow

GRADE_KINDS = ("fast", "feedback")


def session_row(info: SessionInfo) -> SessionRow:
    """A new sessions row for a SessionInfo."""
    return SessionRow(**info.model_dump())


def session_info(row: SessionRow) -> SessionInfo:
    """The SessionInfo a sessions row was made from."""
    return SessionInfo(
        id=row.id,
        persona_id=row.persona_id,
        persona_hash=row.persona_hash,
        speaker=row.speaker,
        grader=row.grader,
        user_id=row.user_id,
        seed=row.seed,
        started_at=row.started_at,
        parent_id=row.parent_id,
    )


def fill_turn_row(row: TurnRow, turn: TurnRecord) -> TurnRow:
    """Copy a TurnRecord's own fields (not its grades) onto a row."""
    row.turn_index = turn.index
    row.role = turn.role
    row.text = turn.text
    row.openness = turn.openness
    row.created_at = turn.created_at
    return row


def fill_grade_row(row: GradeRow, grade: TurnGrade) -> GradeRow:
    """Copy a TurnGrade onto a row."""
    row.status = grade.status
    row.labels = [label.value for label in grade.labels]
    row.primary_label = grade.primary.value if grade.primary else None
    row.score = grade.score
    row.rationale = grade.rationale
    row.suggestion = grade.suggestion
    row.grader = grade.grader
    row.error = grade.error
    return row


def turn_grade(row: GradeRow) -> TurnGrade:
    """The TurnGrade stored in a row."""
    return TurnGrade(
        labels=[Label(label) for label in row.labels],
        primary=Label(row.primary_label) if row.primary_label else None,
        score=row.score,
        rationale=row.rationale,
        suggestion=row.suggestion,
        grader=row.grader,
        status=row.status,
        error=row.error,
    )


def grades_of(turn: TurnRecord) -> dict[str, TurnGrade]:
    """A turn's grades by kind, leaving out the ones it does not have yet."""
    grades = {"fast": turn.fast_grade, "feedback": turn.grade}
    return {kind: grade for kind, grade in grades.items() if grade is not None}


def turn_record(row: TurnRow, grades: list[GradeRow]) -> TurnRecord:
    """The TurnRecord stored in a turn row and its grade rows."""
    by_kind = {grade.kind: turn_grade(grade) for grade in grades}
    return TurnRecord(
        index=row.turn_index,
        role=row.role,
        text=row.text,
        openness=row.openness,
        created_at=row.created_at,
        fast_grade=by_kind.get("fast"),
        grade=by_kind.get("feedback"),
    )
