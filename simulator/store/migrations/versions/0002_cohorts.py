"""m0002 cohorts: users, cohorts, memberships, assignments, grade overrides, comments, logins.

Sessions made before accounts existed (user_id empty) become the local user's.

Revision ID: 0002_cohorts
Revises: 0001_initial
Create Date: 2026-12-02 00:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_cohorts"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel
LOCAL_USER_ID = "local"


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_accounts() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True, unique=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_users_username", "users", ["username"], unique=True)
    op.create_table(
        "login_failures",
        sa.Column("username", sa.String(length=64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", _utc(), nullable=False),
    )
    op.create_table(
        "login_tokens",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column(
            "user_id", sa.String(length=32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
    )
    op.create_index("ix_login_tokens_user_id", "login_tokens", ["user_id"])


def _create_cohorts() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("join_code", sa.String(length=32), nullable=False),
        sa.Column("code_expires_at", _utc(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_cohorts_name", "cohorts", ["name"], unique=True)
    op.create_index("ix_cohorts_join_code", "cohorts", ["join_code"], unique=True)
    op.create_table(
        "memberships",
        sa.Column(
            "cohort_id", sa.Integer(), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "user_id", sa.String(length=32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", _utc(), nullable=False),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("persona_id", sa.String(length=100), nullable=False),
        sa.Column("opens_at", _utc(), nullable=True),
        sa.Column("due_at", _utc(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_assignments_cohort_id", "assignments", ["cohort_id"])


def _create_reviews() -> None:
    op.create_table(
        "grade_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("turn_id", sa.Integer(), sa.ForeignKey("turns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("by_user_id", sa.String(length=32), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("primary_label", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ai_primary", sa.String(length=32), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_grade_overrides_turn_id", "grade_overrides", ["turn_id"])
    op.create_table(
        "turn_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("turn_id", sa.Integer(), sa.ForeignKey("turns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_turn_comments_turn_id", "turn_comments", ["turn_id"])


def _add_assignment_column() -> None:
    """SQLite adds a referencing column in place; copying the table (Alembic's batch mode) would drop the
    old one, and with foreign keys on that deletes every turn through ON DELETE CASCADE."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE sessions ADD COLUMN assignment_id INTEGER REFERENCES assignments (id)")
        return
    op.add_column("sessions", sa.Column("assignment_id", sa.Integer(), nullable=True))
    op.create_foreign_key("fk_sessions_assignment_id", "sessions", "assignments", ["assignment_id"], ["id"])


def _link_sessions() -> None:
    """Sessions get an assignment link, and the ones made before accounts become the local user's."""
    _add_assignment_column()
    op.create_index("ix_sessions_assignment_id", "sessions", ["assignment_id"])
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("username", sa.String),
        sa.column("role", sa.String),
        sa.column("created_at", _utc()),
    )
    op.bulk_insert(
        users,
        [
            {
                "id": LOCAL_USER_ID,
                "username": LOCAL_USER_ID,
                "role": "learner",
                "created_at": datetime.now(UTC),
            }
        ],
    )
    sessions = sa.table("sessions", sa.column("user_id", sa.String))
    op.execute(sessions.update().where(sessions.c.user_id.is_(None)).values(user_id=LOCAL_USER_ID))


def upgrade() -> None:
    _create_accounts()
    _create_cohorts()
    _create_reviews()
    _link_sessions()


def downgrade() -> None:
    op.drop_index("ix_sessions_assignment_id", "sessions")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_sessions_assignment_id", "sessions", type_="foreignkey")
    op.drop_column("sessions", "assignment_id")  # SQLite 3.35+ drops a column in place
    for table in ("turn_comments", "grade_overrides", "assignments", "memberships", "cohorts"):
        op.drop_table(table)
    for table in ("login_tokens", "login_failures", "users"):
        op.drop_table(table)
