"""StoreRecorder: the SessionRecorder that writes each turn to the database before returning."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from simulator.personas import Persona
from simulator.recording import SessionInfo, TurnRecord, utc_now
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
                content = persona.model_dump(mode="json")
                db.add(
                    PersonaVersion(hash=digest, persona_id=persona.id, title=persona.title, content=content)
                )
                db.commit()
        return digest

    def start(self, info: SessionInfo) -> None:
        with Session(self.engine) as db:
            db.add(session_row(info))
            db.commit()

    def save_turn(self, session_id: str, turn: TurnRecord) -> None:
        """Insert the turn, or update the one at the same index, with its grades."""
        with Session(self.engine) as db:
            row = db.exec(
                select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.turn_index == turn.index)
            ).first()
            row = fill_turn_row(row or TurnRow(session_id=session_id), turn)
            db.add(row)
            db.flush()
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
