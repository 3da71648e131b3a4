"""Alembic upgrades with data: a database made by 0001 keeps its sessions through 0002 (they become the
local user's), on SQLite and PostgreSQL; the schema after the upgrade matches the models."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from simulator.access import LOCAL_ACTOR
from simulator.store import load_session, make_engine, session_summaries, upgrade
from simulator.store.db import alembic_config, current_revision
from simulator.store.models import SQLModel

STARTED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
METRICS = {
    "learner_turns": 1,
    "graded_turns": 1,
    "failed_grades": 0,
    "reflections": 1,
    "questions": 0,
    "open_questions": 0,
    "reflection_to_question": None,
    "rq_band": "good",
    "open_question_share": None,
    "roadblock_rate": 0.0,
    "mean_score": 4.5,
    "talk_balance": 0.4,
    "label_counts": {"reflection": 1},
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("postgres_url")


def fill_0001(engine: sa.Engine) -> None:
    """A session as release 0001 stored it: no user, one learner turn with a grade."""
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into persona_versions (hash, persona_id, title, content, first_used_at)"
                " values ('abc', 'stressed-partner', 'Stressed partner', '{}', :at)"
            ),
            {"at": STARTED},
        )
        connection.execute(
            sa.text(
                "insert into sessions (id, user_id, persona_id, persona_hash, speaker, grader, seed,"
                " started_at, ended_at, metrics) values ('s1', NULL, 'stressed-partner', 'abc', 'scripted',"
                " 'offline@1', 0, :at, :at, :metrics)"
            ),
            {"at": STARTED, "metrics": json.dumps(METRICS)},
        )
        for index, role, text in ((0, "persona", "Long day."), (1, "learner", "Sounds exhausting.")):
            connection.execute(
                sa.text(
                    "insert into turns (session_id, turn_index, role, text, created_at)"
                    " values ('s1', :index, :role, :text, :at)"
                ),
                {"index": index, "role": role, "text": text, "at": STARTED},
            )
        connection.execute(
            sa.text(
                "insert into grades (turn_id, kind, status, labels, primary_label, score, rationale, grader,"
                " graded_at) select id, 'feedback', 'ok', '[\"reflection\"]', 'reflection', 4.5, 'good',"
                " 'offline@1', :at from turns where turn_index = 1"
            ),
            {"at": STARTED},
        )


def test_0001_to_0002_keeps_the_sessions_and_gives_them_to_the_local_user(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0001_initial")
    fill_0001(engine)
    upgrade(engine)
    assert current_revision(engine) == "0002_cohorts"
    stored = load_session(engine, "s1", LOCAL_ACTOR)
    assert stored.info.user_id == LOCAL_ACTOR.id and stored.info.assignment_id is None
    assert [t.text for t in stored.turns] == ["Long day.", "Sounds exhausting."]
    assert stored.turns[1].grade.primary == "reflection" and stored.metrics.mean_score == 4.5
    assert [s.id for s in session_summaries(engine, LOCAL_ACTOR)] == ["s1"]
    with engine.connect() as connection:
        users = connection.execute(sa.text("select id, role from users")).all()
        assert [tuple(row) for row in users] == [("local", "learner")]
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    engine.dispose()


def test_0002_downgrades_to_0001_with_the_sessions_kept(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0001_initial")
    fill_0001(engine)
    upgrade(engine)
    config = alembic_config(db_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001_initial")
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from sessions")).scalar() == 1
        assert connection.execute(sa.text("select count(*) from turns")).scalar() == 2
        assert "assignment_id" not in {c["name"] for c in sa.inspect(connection).get_columns("sessions")}
        assert "users" not in sa.inspect(connection).get_table_names()
    engine.dispose()
