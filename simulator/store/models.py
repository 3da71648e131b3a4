"""SQLModel tables: practice sessions, their turns and grades, and the persona versions they used."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from simulator.recording import utc_now


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware datetime stored as UTC; comes back aware on every database (SQLite too)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PersonaVersion(SQLModel, table=True):
    """The exact persona a session used, keyed by content hash, so old sessions stay interpretable."""

    __tablename__ = "persona_versions"

    hash: str = Field(primary_key=True, max_length=64)
    persona_id: str = Field(index=True, max_length=100)
    title: str = Field(max_length=200)
    content: dict[str, Any] = Field(sa_type=sa.JSON)
    first_used_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class SessionRow(SQLModel, table=True):
    """One practice session, owned by a user; `assignment_id` links it to a cohort's assignment (else it is
    free practice, private to its owner)."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True, max_length=32)
    user_id: str | None = Field(default=None, index=True, max_length=100)
    assignment_id: int | None = Field(default=None, foreign_key="assignments.id", index=True)
    persona_id: str = Field(index=True, max_length=100)
    persona_hash: str = Field(default="", max_length=64)
    speaker: str = Field(max_length=200)
    grader: str = Field(max_length=200)
    seed: int = 0
    parent_id: str | None = Field(default=None, foreign_key="sessions.id", max_length=32)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    metrics: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class TurnRow(SQLModel, table=True):
    """One utterance of a session, by position."""

    __tablename__ = "turns"
    __table_args__ = (sa.UniqueConstraint("session_id", "turn_index", name="uq_turns_session_index"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="sessions.id", index=True, max_length=32, ondelete="CASCADE")
    turn_index: int
    role: str = Field(max_length=16)
    text: str = Field(sa_type=sa.Text)
    openness: float | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class GradeRow(SQLModel, table=True):
    """A learner turn's grade: `kind` is "fast" (drove the persona) or "feedback" (shown to the learner)."""

    __tablename__ = "grades"
    __table_args__ = (sa.UniqueConstraint("turn_id", "kind", name="uq_grades_turn_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    turn_id: int = Field(foreign_key="turns.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    labels: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    primary_label: str | None = Field(default=None, max_length=32)
    score: float | None = None
    rationale: str = Field(default="", sa_type=sa.Text)
    suggestion: str | None = Field(default=None, sa_type=sa.Text)
    grader: str = Field(max_length=200)
    error: str | None = Field(default=None, sa_type=sa.Text)
    graded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class UserRow(SQLModel, table=True):
    """An account: a learner, facilitator or admin; a password hash (local mode) or an identity provider's
    subject (oidc mode)."""

    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=32)
    username: str = Field(unique=True, index=True, max_length=64)
    role: str = Field(max_length=16)
    password_hash: str | None = Field(default=None, max_length=200)
    oidc_subject: str | None = Field(default=None, unique=True, max_length=255)
    email: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class CohortRow(SQLModel, table=True):
    """A group of learners practising together, with a join code."""

    __tablename__ = "cohorts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=100)
    join_code: str = Field(unique=True, index=True, max_length=32)
    code_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class MembershipRow(SQLModel, table=True):
    """A user's place in a cohort: `role` is "learner" or "facilitator"."""

    __tablename__ = "memberships"

    cohort_id: int = Field(foreign_key="cohorts.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(
        foreign_key="users.id", primary_key=True, index=True, max_length=32, ondelete="CASCADE"
    )
    role: str = Field(max_length=16)
    joined_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AssignmentRow(SQLModel, table=True):
    """A persona a cohort is asked to practise, with an optional window and pass criteria."""

    __tablename__ = "assignments"

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohorts.id", index=True, ondelete="CASCADE")
    persona_id: str = Field(max_length=100)
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    criteria: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    max_attempts: int | None = None
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class GradeOverrideRow(SQLModel, table=True):
    """A facilitator's grade of a learner turn, kept beside the AI grade (which is never overwritten);
    the newest override of a turn is its effective grade."""

    __tablename__ = "grade_overrides"

    id: int | None = Field(default=None, primary_key=True)
    turn_id: int = Field(foreign_key="turns.id", index=True, ondelete="CASCADE")
    by_user_id: str = Field(max_length=32)
    labels: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    primary_label: str = Field(max_length=32)
    score: float
    reason: str = Field(sa_type=sa.Text)
    ai_primary: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class TurnCommentRow(SQLModel, table=True):
    """A facilitator's comment on a learner turn."""

    __tablename__ = "turn_comments"

    id: int | None = Field(default=None, primary_key=True)
    turn_id: int = Field(foreign_key="turns.id", index=True, ondelete="CASCADE")
    author_id: str = Field(max_length=32)
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class LoginFailureRow(SQLModel, table=True):
    """Failed logins by the name tried (known or not), to slow down guessing."""

    __tablename__ = "login_failures"

    username: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class LoginTokenRow(SQLModel, table=True):
    """A login: the hash of the token kept in the browser's cookie ("session") or of a one-time ticket that
    the browser trades for that cookie ("ticket")."""

    __tablename__ = "login_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
