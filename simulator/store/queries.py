"""Reading the store: one session back, the open session, the history of finished sessions."""

from datetime import datetime

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select, update

from simulator.personas import Persona
from simulator.recording import SessionInfo, TurnRecord
from simulator.scoring import SessionMetrics
from simulator.store.models import GradeRow, PersonaVersion, SessionRow, TurnRow
from simulator.store.rows import session_info, turn_record


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
    metrics: SessionMetrics


def _of_user(user_id: str | None):
    return col(SessionRow.user_id).is_(None) if user_id is None else col(SessionRow.user_id) == user_id


def load_session(engine: Engine, session_id: str) -> StoredSession:
    """A stored session with its turns in order; KeyError when there is none."""
    with Session(engine) as db:
        row = db.get(SessionRow, session_id)
        if row is None:
            raise KeyError(f"no session {session_id}")
        turn_rows = db.exec(
            select(TurnRow).where(TurnRow.session_id == session_id).order_by(col(TurnRow.turn_index))
        ).all()
        grade_rows = db.exec(
            select(GradeRow).where(col(GradeRow.turn_id).in_([t.id for t in turn_rows]))
        ).all()
        turns = [turn_record(t, [g for g in grade_rows if g.turn_id == t.id]) for t in turn_rows]
        metrics = SessionMetrics.model_validate(row.metrics) if row.metrics else None
        return StoredSession(info=session_info(row), turns=turns, metrics=metrics, ended_at=row.ended_at)


def open_session_id(engine: Engine, user_id: str | None = None) -> str | None:
    """The most recently started session that was not ended, if any."""
    with Session(engine) as db:
        query = (
            select(SessionRow.id)
            .where(_of_user(user_id), col(SessionRow.ended_at).is_(None))
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


def session_summaries(engine: Engine, user_id: str | None = None) -> list[SessionSummary]:
    """Finished sessions with at least one learner turn, oldest first."""
    with Session(engine) as db:
        query = (
            select(SessionRow, PersonaVersion.title)
            .join(PersonaVersion, col(PersonaVersion.hash) == col(SessionRow.persona_hash), isouter=True)
            .where(_of_user(user_id), col(SessionRow.ended_at).is_not(None))
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
        metrics=SessionMetrics.model_validate(row.metrics),
    )


def delete_session(engine: Engine, session_id: str) -> None:
    """Remove a session with its turns and grades (used for sessions abandoned before any learner turn)."""
    with Session(engine) as db:
        turn_ids = select(TurnRow.id).where(TurnRow.session_id == session_id)
        db.exec(delete(GradeRow).where(col(GradeRow.turn_id).in_(turn_ids)))
        db.exec(delete(TurnRow).where(TurnRow.session_id == session_id))
        db.exec(update(SessionRow).where(SessionRow.parent_id == session_id).values(parent_id=None))
        db.exec(delete(SessionRow).where(SessionRow.id == session_id))
        db.commit()
