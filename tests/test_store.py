"""The store against SQLite and a real PostgreSQL server: migrations, round trips, lookups, progress."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from simulator.access import LOCAL_ACTOR, AccessDenied, Actor, Role
from simulator.grades import TurnGrade
from simulator.recording import SessionInfo, TurnRecord
from simulator.scoring import session_metrics
from simulator.store import (
    StoreRecorder,
    delete_session,
    load_session,
    make_engine,
    open_session_id,
    open_store,
    persona_version,
    session_summaries,
    upgrade,
)
from simulator.store.db import current_revision
from simulator.store.models import SQLModel
from simulator.store.progress import skill_progress
from tests.fakes import grade_of
from tests.persona_factory import make_persona

TABLES = {
    "alembic_version",
    "persona_versions",
    "sessions",
    "turns",
    "grades",
    "users",
    "login_failures",
    "login_tokens",
    "cohorts",
    "memberships",
    "assignments",
    "grade_overrides",
    "turn_comments",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url):
    engine = open_store(db_url)
    yield engine
    engine.dispose()


def info(persona_id: str = "test-person", started_at: datetime | None = None, **fields) -> SessionInfo:
    extra = {"started_at": started_at} if started_at else {}
    return SessionInfo(persona_id=persona_id, speaker="scripted", grader="fake@1", **extra, **fields)


def learner(index: int, text: str, grade: TurnGrade | None = None, openness: float = 0.4) -> TurnRecord:
    return TurnRecord(
        index=index, role="learner", text=text, fast_grade=grade, grade=grade, openness=openness
    )


def finished(recorder: StoreRecorder, session: SessionInfo, grades: list[TurnGrade]) -> None:
    """Store a session with one learner turn per grade, and end it."""
    recorder.start(session)
    recorder.save_turn(session.id, TurnRecord(index=0, role="persona", text="Long day."))
    for number, grade in enumerate(grades):
        recorder.save_turn(session.id, learner(2 * number + 1, f"turn {number}", grade))
        recorder.save_turn(session.id, TurnRecord(index=2 * number + 2, role="persona", text="mm, yes."))
    texts = [f"turn {n}" for n in range(len(grades))]
    recorder.finish(session.id, session_metrics(grades, texts, ["mm, yes."] * len(grades)))


def test_upgrade_builds_every_table_on_an_empty_database(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    assert set(sa.inspect(engine).get_table_names()) == TABLES
    assert current_revision(engine) == "0002_cohorts"
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], "the migrations and the SQLModel tables disagree"
    engine.dispose()


def test_upgrade_twice_changes_nothing(db_url):
    upgrade(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    assert current_revision(engine) == "0002_cohorts"
    engine.dispose()


def test_a_session_comes_back_as_it_was_stored(engine):
    recorder, session = StoreRecorder(engine), info(seed=7)
    recorder.start(session)
    recorder.save_turn(session.id, TurnRecord(index=0, role="persona", text="Don't ask. Long day."))
    recorder.save_turn(session.id, learner(1, "Sounds like a lot.", grade=None))
    stored = load_session(engine, session.id, LOCAL_ACTOR)
    assert stored.info == session
    assert [t.text for t in stored.turns] == ["Don't ask. Long day.", "Sounds like a lot."]
    assert stored.turns[1].grade is None and stored.metrics is None and stored.ended_at is None


def test_save_turn_updates_the_turn_at_the_same_index(engine):
    recorder, session = StoreRecorder(engine), info()
    recorder.start(session)
    first = learner(1, "Sounds like a lot.", grade=None)
    recorder.save_turn(session.id, first)
    fast = grade_of("reflection", score=4.0, grader="offline@1")
    feedback = grade_of("reflection", "validation", score=5.0, grader="llm@1").model_copy(
        update={"rationale": "names the feeling", "suggestion": "Say more about the week."}
    )
    turn = first.model_copy(update={"fast_grade": fast, "grade": feedback})
    recorder.save_turn(session.id, turn)
    stored = load_session(engine, session.id, LOCAL_ACTOR)
    assert len(stored.turns) == 1
    assert stored.turns[0].fast_grade == fast
    assert stored.turns[0].grade == feedback
    assert stored.turns[0].openness == pytest.approx(0.4)


def test_a_failed_grade_is_stored_with_its_reason(engine):
    recorder, session = StoreRecorder(engine), info()
    recorder.start(session)
    failed = TurnGrade.failed("llm@1", "rate limited twice")
    recorder.save_turn(session.id, learner(1, "Hm.", grade=None).model_copy(update={"grade": failed}))
    grade = load_session(engine, session.id, LOCAL_ACTOR).turns[0].grade
    assert grade.status == "failed" and grade.error == "rate limited twice"


def test_datetimes_come_back_timezone_aware_in_utc(engine):
    recorder = StoreRecorder(engine)
    local = datetime(2025, 3, 1, 9, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    session = info(started_at=local)
    recorder.start(session)
    recorder.finish(session.id, session_metrics([], [], []))
    stored = load_session(engine, session.id, LOCAL_ACTOR)
    assert stored.info.started_at == local
    assert stored.info.started_at.utcoffset() == timedelta(0)
    assert stored.ended_at.tzinfo is not None


def test_finish_records_metrics_and_closes_the_session(engine):
    recorder, session = StoreRecorder(engine), info()
    finished(recorder, session, [grade_of("reflection", score=4), grade_of("advice", score=2)])
    stored = load_session(engine, session.id, LOCAL_ACTOR)
    assert stored.metrics.learner_turns == 2
    assert stored.metrics.roadblock_rate == pytest.approx(0.5)
    assert open_session_id(engine, LOCAL_ACTOR) is None


def test_the_open_session_is_the_latest_one_not_ended(engine):
    recorder, now = StoreRecorder(engine), datetime.now(UTC)
    older, newer, ended = info(started_at=now - timedelta(hours=2)), info(started_at=now), info()
    for session in (older, newer):
        recorder.start(session)
    finished(recorder, ended, [grade_of("reflection")])
    assert open_session_id(engine, LOCAL_ACTOR) == newer.id
    other_user = info(user_id="ana", started_at=now + timedelta(minutes=1))
    recorder.start(other_user)
    assert open_session_id(engine, LOCAL_ACTOR) == newer.id
    assert open_session_id(engine, Actor(id="ana", username="ana", role=Role.LEARNER)) == other_user.id


def test_each_persona_version_is_kept_by_content_hash(engine):
    recorder = StoreRecorder(engine)
    before, after = make_persona(), make_persona(title="Test person, revised")
    old_hash, new_hash = recorder.remember_persona(before), recorder.remember_persona(after)
    assert old_hash != new_hash
    assert recorder.remember_persona(before) == old_hash
    assert persona_version(engine, old_hash) == before
    assert persona_version(engine, new_hash).title == "Test person, revised"
    assert persona_version(engine, "0" * 16) is None


def test_history_lists_finished_sessions_with_persona_titles(engine):
    recorder, now = StoreRecorder(engine), datetime.now(UTC)
    digest = recorder.remember_persona(make_persona())
    first = info(persona_hash=digest, started_at=now - timedelta(days=1))
    second = info(persona_hash=digest, started_at=now)
    finished(recorder, second, [grade_of("reflection", score=5)])
    finished(recorder, first, [grade_of("advice", score=2)])
    silent = info(started_at=now)
    finished(recorder, silent, [])
    recorder.start(info())
    history = session_summaries(engine, LOCAL_ACTOR)
    assert [s.id for s in history] == [first.id, second.id]
    assert {s.persona_title for s in history} == {"Test person"}


def test_delete_session_removes_turns_and_grades(engine):
    recorder, session = StoreRecorder(engine), info()
    finished(recorder, session, [grade_of("reflection")])
    delete_session(engine, session.id, LOCAL_ACTOR)
    with pytest.raises(AccessDenied):
        load_session(engine, session.id, LOCAL_ACTOR)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from turns")).scalar() == 0
        assert connection.execute(sa.text("select count(*) from grades")).scalar() == 0


def test_naive_datetimes_are_refused(engine):
    session = info(started_at=datetime(2025, 1, 1, 12, 0))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        StoreRecorder(engine).start(session)


def test_progress_reports_first_best_and_latest_per_skill(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'progress.db'}")
    recorder, now = StoreRecorder(engine), datetime.now(UTC)
    finished(
        recorder,
        info(started_at=now - timedelta(days=2)),
        [grade_of("advice", score=2), grade_of("reflection")],
    )
    finished(recorder, info(started_at=now - timedelta(days=1)), [grade_of("reflection", score=5)] * 2)
    finished(recorder, info(started_at=now), [grade_of("reflection", score=4), grade_of("judgment", score=1)])
    progress = {p.skill.key: p for p in skill_progress(session_summaries(engine, LOCAL_ACTOR))}
    score = progress["mean_score"]
    assert (score.first, score.best, score.latest) == (2.5, 5.0, 2.5)
    roadblocks = progress["roadblock_rate"]
    assert (roadblocks.first, roadblocks.best, roadblocks.latest) == (0.5, 0.0, 0.5)
    assert roadblocks.improved is False
    assert progress["reflection_to_question"].points == []
    engine.dispose()
