"""The service layer of cohorts on SQLite and PostgreSQL: who sees which session, joining, assignments
and their status, reviews and overrides, deleting one's data, purging old sessions."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from simulator.access import AccessDenied, Actor
from simulator.accounts import AccountError, actor_of, create_user, find_user
from simulator.assignments import PassCriteria, Status
from simulator.cohorts import (
    CohortError,
    assignment_to_practise,
    create_assignment,
    create_cohort,
    find_cohort,
    join_cohort,
    join_with_new_account,
    learner_assignments,
    parse_date,
    remove_member,
)
from simulator.dashboard import cohort_dashboard, gradebook_rows, worth_discussing
from simulator.privacy import delete_my_sessions, purge_ended_sessions
from simulator.recording import SessionInfo, TurnRecord
from simulator.reviews import ReviewError, add_comment, override_grade, turn_notes
from simulator.scoring import session_metrics
from simulator.store import StoreRecorder, load_own_session, load_session, open_store, session_summaries
from simulator.store.models import CohortRow
from tests.fakes import grade_of

PERSONAS = {"stressed-partner", "quiet-employee"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'cohorts.db'}" if request.param == "sqlite" else None
    engine = open_store(url or request.getfixturevalue("postgres_url"))
    yield engine
    engine.dispose()


@dataclass
class World:
    """Two cohorts: fran facilitates one (ana, ben learn there), gil the other (cal); root is admin."""

    engine: object
    fran: Actor
    gil: Actor
    root: Actor
    ana: Actor
    ben: Actor
    cal: Actor
    one: CohortRow
    two: CohortRow

    def refresh(self, actor: Actor) -> Actor:
        return actor_of(self.engine, find_user(self.engine, actor.username))


def learner(engine, name: str, code: str) -> Actor:
    return join_with_new_account(engine, code, name, f"{name}-password")[0]


@pytest.fixture
def world(engine) -> World:
    root = actor_of(engine, create_user(engine, "root", "admin", password="root-password"))
    fran_row = create_user(engine, "fran", "facilitator", password="fran-password")
    gil_row = create_user(engine, "gil", "facilitator", password="gil-password")
    one = create_cohort(engine, actor_of(engine, fran_row), "Leads spring")
    two = create_cohort(engine, root, "Leads autumn", facilitator="gil")
    ana, ben = learner(engine, "ana", one.join_code), learner(engine, "ben", one.join_code)
    cal = learner(engine, "cal", two.join_code)
    return World(engine, actor_of(engine, fran_row), actor_of(engine, gil_row), root, ana, ben, cal, one, two)


def practise(engine, actor: Actor, assignment_id: int | None, grades, persona="stressed-partner", **info):
    """Store an ended session of the actor's with one learner turn per grade."""
    session = SessionInfo(
        persona_id=persona,
        speaker="scripted",
        grader="fake@1",
        user_id=actor.id,
        assignment_id=assignment_id,
        **info,
    )
    recorder = StoreRecorder(engine)
    recorder.start(session)
    recorder.save_turn(session.id, TurnRecord(index=0, role="persona", text="Long day."))
    for number, grade in enumerate(grades):
        turn = TurnRecord(
            index=2 * number + 1, role="learner", text=f"turn {number}", fast_grade=grade, grade=grade
        )
        recorder.save_turn(session.id, turn)
        recorder.save_turn(session.id, TurnRecord(index=2 * number + 2, role="persona", text="Mm."))
    texts = [f"turn {n}" for n in range(len(grades))]
    recorder.finish(session.id, session_metrics(grades, texts, ["Long day."], breakthrough_turn=None))
    return session.id


def assign(world: World, persona="stressed-partner", **fields):
    return create_assignment(world.engine, world.fran, world.one.id, persona, PERSONAS, **fields)


def test_a_learner_is_refused_another_learners_session_with_the_same_message_as_a_missing_one(world):
    theirs = practise(world.engine, world.ben, None, [grade_of("reflection")])
    with pytest.raises(AccessDenied) as refused:
        load_session(world.engine, theirs, world.ana)
    with pytest.raises(AccessDenied) as missing:
        load_session(world.engine, "0" * 32, world.ana)
    assert str(refused.value).replace(theirs, "ID") == str(missing.value).replace("0" * 32, "ID")
    assert load_session(world.engine, theirs, world.ben).info.user_id == world.ben.id


def test_facilitators_see_their_cohorts_assignment_sessions_but_never_free_practice(world):
    task = assign(world)
    linked = practise(world.engine, world.ana, task.id, [grade_of("reflection")])
    free = practise(world.engine, world.ana, None, [grade_of("advice")])
    assert load_session(world.engine, linked, world.fran).info.id == linked
    assert load_session(world.engine, linked, world.root).info.id == linked
    for actor, session_id in (
        (world.fran, free),
        (world.root, free),
        (world.gil, linked),
        (world.ben, linked),
    ):
        with pytest.raises(AccessDenied):
            load_session(world.engine, session_id, actor)


def test_a_learner_removed_from_the_cohort_takes_their_sessions_out_of_its_view(world):
    linked = practise(world.engine, world.ana, assign(world).id, [grade_of("reflection")])
    remove_member(world.engine, world.fran, world.one.id, "ana")
    with pytest.raises(AccessDenied):
        load_session(world.engine, linked, world.fran)
    assert [
        learner.username for learner in cohort_dashboard(world.engine, world.fran, world.one.id).learners
    ] == ["ben"]


def test_history_lists_only_the_actors_own_sessions(world):
    mine = practise(world.engine, world.ana, None, [grade_of("reflection")])
    practise(world.engine, world.ben, None, [grade_of("reflection")])
    assert [s.id for s in session_summaries(world.engine, world.ana)] == [mine]


def test_joining_refuses_an_unknown_or_expired_code_twice_joining_and_bad_accounts_storing_nothing(world):
    with pytest.raises(CohortError, match="unknown or has expired"):
        join_with_new_account(world.engine, "NOSUCHCODE", "dee", "dee-password")
    with Session(world.engine) as db:
        row = db.get(CohortRow, world.one.id)
        row.code_expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.add(row)
        db.commit()
    with pytest.raises(CohortError, match="unknown or has expired"):
        join_with_new_account(world.engine, world.one.join_code, "dee", "dee-password")
    with pytest.raises(CohortError, match="already in the cohort"):
        join_cohort(world.engine, world.cal, world.two.join_code)
    with pytest.raises(AccountError, match="taken"):
        join_with_new_account(world.engine, world.two.join_code, "ANA", "other-password")
    with pytest.raises(AccountError, match="too short"):
        join_with_new_account(world.engine, world.two.join_code, "eve", "short")
    assert find_user(world.engine, "dee") is None and find_user(world.engine, "eve") is None
    with world.engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from memberships")).scalar() == 5


def test_only_facilitators_of_the_cohort_assign_and_only_known_personas(world):
    with pytest.raises(AccessDenied):
        create_assignment(world.engine, world.gil, world.one.id, "stressed-partner", PERSONAS)
    with pytest.raises(AccessDenied):
        create_assignment(world.engine, world.ana, world.one.id, "stressed-partner", PERSONAS)
    with pytest.raises(CohortError, match="no persona 'nobody'"):
        assign(world, persona="nobody")
    with pytest.raises(CohortError, match="not a date"):
        parse_date("next friday")
    assert parse_date("2027-01-31") == datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC)
    assert find_cohort(world.engine, str(world.one.id)).name == find_cohort(world.engine, "Leads spring").name


def test_a_learner_sees_status_and_criteria_of_their_assignments(world):
    past = datetime.now(UTC) - timedelta(days=1)
    passing = assign(world, criteria=PassCriteria(min_mean_score=4, breakthrough=False))
    overdue = assign(world, persona="quiet-employee", due_at=past, criteria=PassCriteria(min_mean_score=4))
    untouched = assign(world, due_at=datetime.now(UTC) + timedelta(days=7))
    practise(world.engine, world.ana, passing.id, [grade_of("advice", score=2)])
    practise(world.engine, world.ana, passing.id, [grade_of("reflection", score=5)])
    practise(world.engine, world.ana, overdue.id, [grade_of("advice", score=2)])
    mine = {item.assignment.id: item for item in learner_assignments(world.engine, world.ana)}
    assert mine[passing.id].progress.status == Status.PASSED and mine[passing.id].progress.attempts == 2
    assert mine[passing.id].progress.best_score == 5
    assert mine[overdue.id].progress.status == Status.OVERDUE
    assert mine[untouched.id].progress.status == Status.NOT_STARTED
    assert mine[passing.id].criteria.describe() == ["a mean score of at least 4 out of 5"]
    assert learner_assignments(world.engine, world.cal) == []


def test_attempts_are_limited_and_an_assignment_of_another_cohort_cannot_be_practised(world):
    task = assign(world, max_attempts=1)
    assert assignment_to_practise(world.engine, world.ana, task.id).id == task.id
    practise(world.engine, world.ana, task.id, [grade_of("advice")])
    with pytest.raises(CohortError, match="all 1 attempts"):
        assignment_to_practise(world.engine, world.ana, task.id)
    with pytest.raises(AccessDenied):
        assignment_to_practise(world.engine, world.cal, task.id)


def test_an_override_stands_beside_the_ai_grade_and_the_metrics_use_it(world):
    linked = practise(world.engine, world.ana, assign(world).id, [grade_of("reflection", score=5)])
    fran = world.refresh(world.fran)
    metrics = override_grade(world.engine, fran, linked, 1, "advice", 2, "A fix dressed as a reflection.")
    assert metrics.mean_score == 2 and metrics.label_counts == {"advice": 1}
    stored = load_session(world.engine, linked, world.ana)
    assert stored.turns[1].grade.primary == "reflection" and stored.turns[1].override.primary == "advice"
    assert stored.metrics.roadblock_rate == 1
    board = cohort_dashboard(world.engine, fran, world.one.id)
    assert (board.agreement.reviewed, board.agreement.agreed) == (1, 0)
    assert board.roadblocks == {"stressed-partner": [("advice", 1)]}
    add_comment(world.engine, fran, linked, 1, "Try naming the feeling first.")
    assert [note.kind for note in turn_notes(world.engine, world.ana, linked)[1]] == ["override", "comment"]


def test_reviews_are_refused_outside_the_cohort_and_on_persona_turns(world):
    linked = practise(world.engine, world.ana, assign(world).id, [grade_of("reflection")])
    free = practise(world.engine, world.ana, None, [grade_of("reflection")])
    for actor, session_id in ((world.gil, linked), (world.ana, linked), (world.fran, free)):
        with pytest.raises(AccessDenied):
            override_grade(world.engine, actor, session_id, 1, "advice", 2, "no")
    with pytest.raises(ReviewError, match="not a learner turn"):
        add_comment(world.engine, world.fran, linked, 0, "persona turn")
    with pytest.raises(ReviewError, match="empty"):
        override_grade(world.engine, world.fran, linked, 1, "advice", 2, "  ")


def test_the_gradebook_has_a_row_per_learner_and_assignment(world):
    first, second = assign(world), assign(world, persona="quiet-employee")
    practise(world.engine, world.ben, first.id, [grade_of("reflection", score=4)])
    rows = gradebook_rows(cohort_dashboard(world.engine, world.fran, world.one.id))
    assert [(r["learner"], r["assignment_id"], r["status"], r["attempts"]) for r in rows] == [
        ("ana", first.id, "not started", 0),
        ("ana", second.id, "not started", 0),
        ("ben", first.id, "passed", 1),
        ("ben", second.id, "not started", 0),
    ]
    with pytest.raises(AccessDenied):
        cohort_dashboard(world.engine, world.gil, world.one.id)


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(sa.text(f"select count(*) from {table}")).scalar()
            for table in ("sessions", "turns", "grades", "grade_overrides", "turn_comments")
        }


def test_a_learner_deletes_their_data_and_it_is_gone_from_the_database(world):
    linked = practise(world.engine, world.ana, assign(world).id, [grade_of("reflection"), grade_of("advice")])
    practise(world.engine, world.ana, None, [grade_of("reflection")])
    kept = practise(world.engine, world.ben, None, [grade_of("reflection")])
    fran = world.refresh(world.fran)
    override_grade(world.engine, fran, linked, 1, "validation", 4, "Closer to validation.")
    add_comment(world.engine, fran, linked, 3, "Careful here.")
    assert delete_my_sessions(world.engine, world.ana) == 2
    assert table_counts(world.engine) == {
        "sessions": 1,
        "turns": 3,
        "grades": 2,
        "grade_overrides": 0,
        "turn_comments": 0,
    }
    assert load_session(world.engine, kept, world.ben).info.id == kept


def test_purge_removes_only_sessions_that_ended_before_the_retention_period(world):
    old = practise(world.engine, world.ana, None, [grade_of("reflection")])
    recent = practise(world.engine, world.ana, None, [grade_of("reflection")])
    with world.engine.begin() as connection:
        connection.execute(
            sa.text("update sessions set ended_at = :when where id = :id"),
            {"when": datetime.now(UTC) - timedelta(days=100), "id": old},
        )
    assert purge_ended_sessions(world.engine, 90) == 1
    assert [s.id for s in session_summaries(world.engine, world.ana)] == [recent]


def test_worth_discussing_puts_the_most_roadblocked_session_first(world):
    task = assign(world)
    calm = practise(world.engine, world.ana, task.id, [grade_of("reflection"), grade_of("advice")])
    rough = practise(world.engine, world.ben, task.id, [grade_of("advice"), grade_of("judgment")])
    practise(world.engine, world.ben, task.id, [grade_of("reflection")])
    board = cohort_dashboard(world.engine, world.fran, world.one.id)
    picks = worth_discussing(board)
    assert [(h.session.id, h.reason) for h in picks] == [
        (rough, "roadblocks in 100% of turns"),
        (calm, "roadblocks in 50% of turns"),
    ]


def test_a_facilitator_reads_a_learners_session_but_cannot_continue_it(world):
    linked = practise(world.engine, world.ana, assign(world).id, [grade_of("reflection")])
    fran = world.refresh(world.fran)
    assert load_session(world.engine, linked, fran).info.id == linked
    with pytest.raises(AccessDenied):
        load_own_session(world.engine, linked, fran)
    assert load_own_session(world.engine, linked, world.ana).info.id == linked
