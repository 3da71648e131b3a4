"""m0001 initial: persona versions, sessions, turns, grades.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "persona_versions",
        sa.Column("hash", sa.String(length=64), primary_key=True),
        sa.Column("persona_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("first_used_at", _utc(), nullable=False),
    )
    op.create_index("ix_persona_versions_persona_id", "persona_versions", ["persona_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("user_id", sa.String(length=100), nullable=True),
        sa.Column("persona_id", sa.String(length=100), nullable=False),
        sa.Column("persona_hash", sa.String(length=64), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=False),
        sa.Column("grader", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(length=32), sa.ForeignKey("sessions.id"), nullable=True),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_index("ix_sessions_persona_id", "sessions", ["persona_id"])
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.String(length=32),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("openness", sa.Float(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.UniqueConstraint("session_id", "turn_index", name="uq_turns_session_index"),
    )
    op.create_index("ix_turns_session_id", "turns", ["session_id"])
    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "turn_id",
            sa.Integer(),
            sa.ForeignKey("turns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("primary_label", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("grader", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("graded_at", _utc(), nullable=False),
        sa.UniqueConstraint("turn_id", "kind", name="uq_grades_turn_kind"),
    )
    op.create_index("ix_grades_turn_id", "grades", ["turn_id"])


def downgrade() -> None:
    op.drop_table("grades")
    op.drop_table("turns")
    op.drop_table("sessions")
    op.drop_table("persona_versions")
