"""Deleting data: a learner's own sessions (with turns, grades, reviews), and ended sessions past a
retention period."""

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from simulator.access import Actor
from simulator.recording import utc_now
from simulator.store.models import SessionRow
from simulator.store.queries import remove_sessions

BATCH = 500


def _remove_in_batches(db: Session, session_ids: list[str]) -> int:
    for start in range(0, len(session_ids), BATCH):
        remove_sessions(db, session_ids[start : start + BATCH])
    return len(session_ids)


def delete_my_sessions(engine: Engine, actor: Actor) -> int:
    """Delete every session of the actor's, free practice and assignments alike; returns how many."""
    with Session(engine, expire_on_commit=False) as db:
        ids = list(db.exec(select(SessionRow.id).where(SessionRow.user_id == actor.id)).all())
        removed = _remove_in_batches(db, ids)
        db.commit()
    return removed


def purge_ended_sessions(engine: Engine, older_than_days: int) -> int:
    """Delete sessions that ended more than `older_than_days` days ago; returns how many."""
    if older_than_days < 0:
        raise ValueError("--older-than must be 0 days or more.")
    cutoff = utc_now() - timedelta(days=older_than_days)
    with Session(engine, expire_on_commit=False) as db:
        ids = list(
            db.exec(
                select(SessionRow.id).where(
                    col(SessionRow.ended_at).is_not(None), col(SessionRow.ended_at) < cutoff
                )
            ).all()
        )
        removed = _remove_in_batches(db, ids)
        db.commit()
    return removed
