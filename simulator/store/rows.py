"""Conversions between the core records (SessionInfo, TurnRecord, TurnGrade) and table rows."""

from simulator.grades import TurnGrade
from simulator.labels import Label
from simulator.recording import SessionInfo, TurnRecord
from simulator.store.models import GradeOverrideRow, GradeRow, SessionRow, TurnRow

GRADE_KINDS = ("fast", "feedback")
# A TurnRecord's own fields (not its grades) and the turns column each is stored in.
TURN_COLUMNS = {
    "index": "turn_index",
    "role": "role",
    "text": "text",
    "openness": "openness",
    "created_at": "created_at",
}
# The TurnGrade fields stored as they are (labels and primary are stored as their string values).
PLAIN_GRADE_FIELDS = ("status", "score", "rationale", "suggestion", "grader", "error")


def session_row(info: SessionInfo) -> SessionRow:
    """A new sessions row for a SessionInfo."""
    return SessionRow(**info.model_dump())


def session_info(row: SessionRow) -> SessionInfo:
    """The SessionInfo a sessions row was made from."""
    return SessionInfo(**{field: getattr(row, field) for field in SessionInfo.model_fields})


def fill_turn_row(row: TurnRow, turn: TurnRecord) -> TurnRow:
    """Copy a TurnRecord's own fields (not its grades) onto a row."""
    for field, column in TURN_COLUMNS.items():
        setattr(row, column, getattr(turn, field))
    return row


def fill_grade_row(row: GradeRow, grade: TurnGrade) -> GradeRow:
    """Copy a TurnGrade onto a row."""
    for field in PLAIN_GRADE_FIELDS:
        setattr(row, field, getattr(grade, field))
    row.labels = [label.value for label in grade.labels]
    row.primary_label = grade.primary.value if grade.primary else None
    return row


def turn_grade(row: GradeRow) -> TurnGrade:
    """The TurnGrade stored in a row."""
    return TurnGrade(
        labels=[Label(label) for label in row.labels],
        primary=Label(row.primary_label) if row.primary_label else None,
        **{field: getattr(row, field) for field in PLAIN_GRADE_FIELDS},
    )


def grades_of(turn: TurnRecord) -> dict[str, TurnGrade]:
    """A turn's grades by kind, leaving out the ones it does not have yet."""
    grades = {"fast": turn.fast_grade, "feedback": turn.grade}
    return {kind: grade for kind, grade in grades.items() if grade is not None}


def turn_record(row: TurnRow, grades: list[GradeRow]) -> TurnRecord:
    """The TurnRecord stored in a turn row and its grade rows."""
    by_kind = {grade.kind: turn_grade(grade) for grade in grades}
    return TurnRecord(
        **{field: getattr(row, column) for field, column in TURN_COLUMNS.items()},
        fast_grade=by_kind.get("fast"),
        grade=by_kind.get("feedback"),
    )


def override_grade(row: GradeOverrideRow) -> TurnGrade:
    """A facilitator's override as the grade the turn counts with (grader `facilitator:<user id>`)."""
    return TurnGrade(
        labels=[Label(label) for label in row.labels],
        primary=Label(row.primary_label),
        score=row.score,
        rationale=row.reason,
        grader=f"facilitator:{row.by_user_id}",
    )
