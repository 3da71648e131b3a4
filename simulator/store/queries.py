"""Reading the store for an acting user: one session back, the open session, the history of finished
sessions. Every query takes the actor and applies simulator.access, so no caller can forget a check."""

from datetime import datetime

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select, update

from simulator.access import AccessDenied, Actor, SessionScope, can_delete_session, can_view_session
from simulator.personas import Persona
from simulator.recording import SessionInfo, TurnRecord
from simulator.scoring import SessionMetrics
from simulator.store.models import (
    AssignmentRow,
    GradeOverrideRow,
    GradeRow,
    MembershipRow,
    PersonaVersion,
    SessionRow,
    TurnCommentRow,
    TurnRow,
)
from simulator.store.rows import override_grade, session_info, turn_record


class StoredSession(BaseModel):
    """A session as stored: who practised what, every turn with its grades, the summary if ended."""

    info: SessionInfo
    turns: list[TurnRecord]
    metrics: SessionMetrics | None = None
    ended_at: datetime | None = None

    @property
    def learner_turns(self) -> list[TurnRecord]:
        return [turn for turn in self.turns if turn.role == "learner"]


class SessionSummary(BaseModel):
    """One line of the history: a finished session and its metrics."""

    id: str
    persona_id: str
    persona_title: str
    started_at: datetime
    ended_at: datetime
    parent_id: str | None = None
    assignment_id: int | None = None
    metrics: SessionMetrics


def refused(session_id: str) -> AccessDenied:
    """The one answer for a session that is not the actor's to see, whether or not it exists."""
    return AccessDenied(f"You do not have access to session {session_id}.")


def session_scope(db: Session, row: SessionRow) -> SessionScope:
    """Whose a session is and, when it belongs to an assignment of a cohort its owner is still in, that
    cohort (a learner removed from a cohort takes their sessions with them)."""
    if row.assignment_id is None:
        return SessionScope(owner_id=row.user_id)
    cohort_id = db.exec(
        select(AssignmentRow.cohort_id)
        .join(MembershipRow, col(MembershipRow.cohort_id) == col(AssignmentRow.cohort_id))
        .where(AssignmentRow.id == row.assignment_id, MembershipRow.user_id == row.user_id)
    ).first()
    return SessionScope(owner_id=row.user_id, cohort_id=cohort_id)


def visible_session_row(db: Session, session_id: str, actor: Actor) -> SessionRow:
    """The session row if the actor may see it; AccessDenied (the same for a missing one) otherwise."""
    row = db.get(SessionRow, session_id)
    if row is None or not can_view_session(actor, session_scope(db, row)):
        raise refused(session_id)
    return row


def newest_overrides(db: Session, turn_ids: list[int]) -> dict[int, GradeOverrideRow]:
    """The newest facilitator override of each of these turns."""
    rows = db.exec(
        select(GradeOverrideRow)
        .where(col(GradeOverrideRow.turn_id).in_(turn_ids))
        .order_by(col(GradeOverrideRow.created_at), col(GradeOverrideRow.id))
    ).all()
    return {row.turn_id: row for row in rows}


def read_session(db: Session, row: SessionRow) -> StoredSession:
    """A session row with its turns in order, their grades and their facilitator overrides."""
    turn_rows = db.exec(
        select(TurnRow).where(TurnRow.session_id == row.id).order_by(col(TurnRow.turn_index))
    ).all()
    turn_ids = [t.id for t in turn_rows]
    grade_rows = db.exec(select(GradeRow).where(col(GradeRow.turn_id).in_(turn_ids))).all()
    overrides = newest_overrides(db, turn_ids)
    turns = [turn_record(t, [g for g in grade_rows if g.turn_id == t.id]) for t in turn_rows]
    for turn, turn_row in zip(turns, turn_rows, strict=True):
        if turn_row.id in overrides:
            turn.override = override_grade(overrides[turn_row.id])
    metrics = SessionMetrics.model_validate(row.metrics) if row.metrics else None
    return StoredSession(info=session_info(row), turns=turns, metrics=metrics, ended_at=row.ended_at)


def load_session(engine: Engine, session_id: str, actor: Actor) -> StoredSession:
    """A stored session the actor may see; AccessDenied when they may not or when there is none."""
    with Session(engine) as db:
        return read_session(db, visible_session_row(db, session_id, actor))


def load_own_session(engine: Engine, session_id: str, actor: Actor) -> StoredSession:
    """One of the actor's own sessions, to carry on with (a facilitator may read a learner's session
    but never continue it); AccessDenied otherwise."""
    with Session(engine) as db:
        row = db.get(SessionRow, session_id)
        if row is None or row.user_id != actor.id:
            raise refused(session_id)
        return read_session(db, row)


def open_session_id(engine: Engine, actor: Actor) -> str | None:
    """The actor's most recently started session that was not ended, if any."""
    with Session(engine) as db:
        query = (
            select(SessionRow.id)
            .where(SessionRow.user_id == actor.id, col(SessionRow.ended_at).is_(None))
            .order_by(col(SessionRow.started_at).desc())
        )
        return db.exec(query).first()


def persona_version(engine: Engine, persona_hash: str) -> Persona | None:
    """The persona exactly as a session used it (None when unknown or no longer valid)."""
    with Session(engine) as db:
        row = db.get(PersonaVersion, persona_hash)
    if row is None:
        return None
    try:
        return Persona.model_validate(row.content)
    except ValidationError:
        return None


def session_summaries(engine: Engine, actor: Actor) -> list[SessionSummary]:
    """The actor's own finished sessions with at least one learner turn, oldest first."""
    with Session(engine) as db:
        query = (
            select(SessionRow, PersonaVersion.title)
            .join(PersonaVersion, col(PersonaVersion.hash) == col(SessionRow.persona_hash), isouter=True)
            .where(SessionRow.user_id == actor.id, col(SessionRow.ended_at).is_not(None))
            .order_by(col(SessionRow.started_at))
        )
        rows = db.exec(query).all()
    summaries = [_summary(row, title) for row, title in rows if row.metrics]
    return [summary for summary in summaries if summary.metrics.learner_turns > 0]


def _summary(row: SessionRow, title: str | None) -> SessionSummary:
    return SessionSummary(
        id=row.id,
        persona_id=row.persona_id,
        persona_title=title or row.persona_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        parent_id=row.parent_id,
        assignment_id=row.assignment_id,
        metrics=SessionMetrics.model_validate(row.metrics),
    )


def delete_session(engine: Engine, session_id: str, actor: Actor) -> None:
    """Remove a session with its turns, grades, overrides and comments (its owner, or an admin)."""
    with Session(engine) as db:
        row = db.get(SessionRow, session_id)
        if row is None or not can_delete_session(actor, session_scope(db, row)):
            raise refused(session_id)
        remove_sessions(db, [session_id])
        db.commit()


def remove_sessions(db: Session, session_ids: list[str]) -> None:
    """Delete sessions and everything stored under them, in the open transaction (no access check)."""
    turn_ids = select(TurnRow.id).where(col(TurnRow.session_id).in_(session_ids))
    for table in (GradeRow, GradeOverrideRow, TurnCommentRow):
        db.exec(delete(table).where(col(table.turn_id).in_(turn_ids)))
    db.exec(delete(TurnRow).where(col(TurnRow.session_id).in_(session_ids)))
    db.exec(update(SessionRow).where(col(SessionRow.parent_id).in_(session_ids)).values(parent_id=None))
    db.exec(delete(SessionRow).where(col(SessionRow.id).in_(session_ids)))
