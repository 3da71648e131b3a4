"""A facilitator's review of a learner's session: comments and grade overrides beside the AI grade,
the metrics recomputed with the effective grades, and how often facilitators agreed with the grader."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from simulator.access import Actor, can_review_session, require
from simulator.grades import TurnGrade
from simulator.labels import Label
from simulator.scoring import SessionMetrics
from simulator.session import ai_grade, metrics_of
from simulator.store.models import AssignmentRow, GradeOverrideRow, SessionRow, TurnCommentRow, TurnRow
from simulator.store.queries import StoredSession, read_session, session_scope, visible_session_row

REVIEW_REFUSED = "Only the facilitators of this assignment's cohort may review this session."
MAX_NOTE = 4000


class ReviewError(ValueError):
    """A comment or override that cannot be stored; the message says what to fix."""


@dataclass(frozen=True)
class TurnNote:
    """A comment or an override as shown beside a turn: who, when, what."""

    turn_index: int
    author_id: str
    at: datetime
    text: str
    kind: str  # "comment" or "override"


def _learner_turn(db: Session, session_id: str, turn_index: int) -> TurnRow:
    row = db.exec(
        select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.turn_index == turn_index)
    ).first()
    if row is None or row.role != "learner":
        raise ReviewError(f"Turn {turn_index} is not a learner turn of this session.")
    return row


def _reviewable(db: Session, actor: Actor, session_id: str) -> SessionRow:
    row = visible_session_row(db, session_id, actor)
    require(can_review_session(actor, session_scope(db, row)), REVIEW_REFUSED)
    return row


def _note_text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise ReviewError(f"Write the {what} first: it is empty.")
    if len(text) > MAX_NOTE:
        raise ReviewError(f"The {what} is too long: keep it under {MAX_NOTE} characters.")
    return text


def add_comment(engine: Engine, actor: Actor, session_id: str, turn_index: int, text: str) -> None:
    """A facilitator's comment on a learner turn."""
    with Session(engine, expire_on_commit=False) as db:
        _reviewable(db, actor, session_id)
        turn = _learner_turn(db, session_id, turn_index)
        db.add(TurnCommentRow(turn_id=turn.id, author_id=actor.id, text=_note_text(text, "comment")))
        db.commit()


def override_grade(
    engine: Engine,
    actor: Actor,
    session_id: str,
    turn_index: int,
    primary: Label | str,
    score: float,
    reason: str,
    labels: list[Label] | None = None,
) -> SessionMetrics | None:
    """Store a facilitator's grade beside the AI grade (kept as it was) and recompute the session's
    metrics with the effective grades; returns the new metrics (None while the session is open)."""
    try:
        grade = TurnGrade(
            labels=labels or [Label(primary)], primary=Label(primary), score=score, grader="review"
        )
    except ValueError as exc:
        raise ReviewError(f"Not a valid grade: {exc}") from None
    with Session(engine, expire_on_commit=False) as db:
        row = _reviewable(db, actor, session_id)
        turn = _learner_turn(db, session_id, turn_index)
        stored = read_session(db, row)
        reviewed = next(t for t in stored.turns if t.index == turn_index)
        ai = ai_grade(reviewed)
        db.add(
            GradeOverrideRow(
                turn_id=turn.id,
                by_user_id=actor.id,
                labels=[label.value for label in grade.labels],
                primary_label=grade.primary.value,
                score=grade.score,
                reason=_note_text(reason, "reason for the override"),
                ai_primary=ai.primary.value if ai is not None and ai.primary else None,
            )
        )
        reviewed.override = grade
        metrics = recompute_metrics(row, stored)
        db.add(row)
        db.commit()
    return metrics


def recompute_metrics(row: SessionRow, stored: StoredSession) -> SessionMetrics | None:
    """An ended session's metrics from its effective grades, set on its row; the persona's path
    (openness, breakthrough) stays as it happened."""
    if row.metrics is None:
        return None
    before = SessionMetrics.model_validate(row.metrics)
    metrics = metrics_of(stored.turns, before.breakthrough_turn)
    row.metrics = metrics.model_dump(mode="json")
    return metrics


def turn_notes(engine: Engine, actor: Actor, session_id: str) -> dict[int, list[TurnNote]]:
    """Comments and overrides of a session the actor may see, by turn index, oldest first."""
    with Session(engine, expire_on_commit=False) as db:
        visible_session_row(db, session_id, actor)
        turns = {t.id: t.turn_index for t in db.exec(select(TurnRow).where(TurnRow.session_id == session_id))}
        comments = db.exec(select(TurnCommentRow).where(col(TurnCommentRow.turn_id).in_(list(turns)))).all()
        overrides = db.exec(
            select(GradeOverrideRow).where(col(GradeOverrideRow.turn_id).in_(list(turns)))
        ).all()
    notes = [TurnNote(turns[c.turn_id], c.author_id, c.created_at, c.text, "comment") for c in comments]
    notes += [
        TurnNote(
            turns[o.turn_id],
            o.by_user_id,
            o.created_at,
            f"{o.primary_label}, {o.score:g}/5: {o.reason}",
            "override",
        )
        for o in overrides
    ]
    by_turn: dict[int, list[TurnNote]] = {}
    for note in sorted(notes, key=lambda n: n.at):
        by_turn.setdefault(note.turn_index, []).append(note)
    return by_turn


def cohort_overrides(db: Session, cohort_id: int) -> list[tuple[GradeOverrideRow, TurnRow, str]]:
    """The newest override of each overridden turn in a cohort's assignment sessions, with its turn and
    the persona line it answered (one query, however many overrides)."""
    rows = db.exec(
        select(GradeOverrideRow, TurnRow, _persona_line_before())
        .join(TurnRow, col(TurnRow.id) == col(GradeOverrideRow.turn_id))
        .join(SessionRow, col(SessionRow.id) == col(TurnRow.session_id))
        .join(AssignmentRow, col(AssignmentRow.id) == col(SessionRow.assignment_id))
        .where(AssignmentRow.cohort_id == cohort_id)
        .order_by(col(GradeOverrideRow.created_at), col(GradeOverrideRow.id))
    ).all()
    newest = {turn.id: (override, turn, line or "") for override, turn, line in rows}
    return list(newest.values())


def _persona_line_before() -> ScalarSelect:
    """The text of the last persona turn before the selected turn of the same session (a subquery)."""
    persona = aliased(TurnRow)
    return (
        select(persona.text)
        .where(
            persona.session_id == TurnRow.session_id,
            persona.turn_index < TurnRow.turn_index,
            persona.role == "persona",
        )
        .order_by(col(persona.turn_index).desc())
        .limit(1)
        .correlate(TurnRow)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Agreement:
    """How often a facilitator's override kept the grader's primary label."""

    reviewed: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.reviewed if self.reviewed else None


def agreement(overrides: list[tuple[GradeOverrideRow, TurnRow, str]]) -> Agreement:
    agreed = sum(1 for override, _, _ in overrides if override.primary_label == override.ai_primary)
    return Agreement(reviewed=len(overrides), agreed=agreed)


def labelled_rows(overrides: list[tuple[GradeOverrideRow, TurnRow, str]], cohort_name: str) -> list[dict]:
    """The overrides as labelled turns that `listenlab eval-grader` reads (id, context, text, labels,
    primary, source)."""
    return [
        {
            "id": f"override-{override.id}",
            "context": context,
            "text": turn.text,
            "labels": list(override.labels),
            "primary": override.primary_label,
            "source": f"facilitator override, cohort {cohort_name}",
            "setting": "practice",
        }
        for override, turn, context in overrides
    ]
