"""StoreRecorder: the SessionRecorder that writes each turn to the database before returning; safe with
several writers (persona versions inserted once, a turn's place in a session taken by one writer only)."""

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from simulator.personas import Persona
from simulator.recording import SessionInfo, SessionMovedOn, TurnRecord, utc_now
from simulator.scoring import SessionMetrics
from simulator.session import persona_hash
from simulator.store.models import GradeRow, PersonaVersion, SessionRow, TurnRow
from simulator.store.rows import fill_grade_row, fill_turn_row, grades_of, session_row, turn_grade


class StoreRecorder:
    """Persists sessions through an engine; every call commits, so a crash loses nothing said."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def remember_persona(self, persona: Persona) -> str:
        """Keep the exact persona content under its content hash (once per version); return the hash."""
        digest = persona_hash(persona)
        with Session(self.engine) as db:
            if db.get(PersonaVersion, digest) is None:
                row = PersonaVersion(
                    hash=digest,
                    persona_id=persona.id,
                    title=persona.title,
                    content=persona.model_dump(mode="json"),
                )
                db.exec(insert_or_ignore(self.engine, row))
                db.commit()
        return digest

    def start(self, info: SessionInfo) -> None:
        with Session(self.engine) as db:
            db.add(session_row(info))
            db.commit()

    def save_turn(self, session_id: str, turn: TurnRecord) -> None:
        """Insert the turn, or update the same turn stored before (its grades arrive later, or again).
        SessionMovedOn when another writer has stored a different turn at this index."""
        with Session(self.engine) as db:
            row = db.exec(
                select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.turn_index == turn.index)
            ).first()
            if row is not None and not same_turn(row, turn):
                raise SessionMovedOn(session_id, turn.index)
            row = fill_turn_row(row or TurnRow(session_id=session_id), turn)
            db.add(row)
            try:
                db.flush()
            except IntegrityError:
                raise SessionMovedOn(session_id, turn.index) from None
            self._save_grades(db, row.id, turn)
            db.commit()

    def _save_grades(self, db: Session, turn_id: int, turn: TurnRecord) -> None:
        existing = {
            grade.kind: grade for grade in db.exec(select(GradeRow).where(GradeRow.turn_id == turn_id))
        }
        for kind, grade in grades_of(turn).items():
            row = existing.get(kind)
            if row is not None and turn_grade(row) == grade:
                continue
            row = row or GradeRow(turn_id=turn_id, kind=kind)
            row.graded_at = utc_now()
            db.add(fill_grade_row(row, grade))

    def finish(self, session_id: str, metrics: SessionMetrics) -> None:
        with Session(self.engine) as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise KeyError(f"no session {session_id}")
            row.ended_at = utc_now()
            row.metrics = metrics.model_dump(mode="json")
            db.add(row)
            db.commit()


def same_turn(row: TurnRow, turn: TurnRecord) -> bool:
    """Whether a stored row is this very turn (written by this writer), not another writer's."""
    return (row.role, row.text, row.created_at) == (turn.role, turn.text, turn.created_at)


def insert_or_ignore(engine: Engine, row: PersonaVersion):
    """An INSERT that does nothing when the row's key is already there (two writers racing)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    values = {column.name: getattr(row, column.name) for column in PersonaVersion.__table__.columns}
    return dialect.insert(PersonaVersion).values(**values).on_conflict_do_nothing(index_elements=["hash"])
