"""Storage of practice sessions with SQLModel: SQLite by default, PostgreSQL by URL, Alembic migrations."""

from simulator.store.db import make_engine, open_store, upgrade
from simulator.store.queries import (
    SessionSummary,
    StoredSession,
    delete_session,
    load_own_session,
    load_session,
    open_session_id,
    persona_version,
    session_summaries,
)
from simulator.store.recorder import StoreRecorder

__all__ = [
    "SessionSummary",
    "StoreRecorder",
    "StoredSession",
    "delete_session",
    "load_own_session",
    "load_session",
    "make_engine",
    "open_session_id",
    "open_store",
    "persona_version",
    "session_summaries",
    "upgrade",
]
