"""AppTest: joining by link, the learner's home and assignments, the cohort dashboard, and reviews."""

import csv
import io

import pytest

from simulator.accounts import create_user, find_user
from simulator.assignments import PassCriteria
from simulator.cohort_report import gradebook_csv
from simulator.cohorts import cohort_members, create_assignment, create_cohort, join_with_new_account
from simulator.dashboard import cohort_dashboard
from simulator.logins import authenticate
from simulator.reviews import turn_notes
from simulator.store import load_session, session_summaries
from tests.fixtures_app import (
    COHORT,
    DEBRIEF,
    JOIN,
    PRACTICE,
    browser_of,
    button,
    login_token,
    page_as,
    redirect_target,
    say,
    texts,
    ticket_in,
)

FACILITATOR_PASSWORD, LEARNER_PASSWORD = "facilitate-well-1", "listen-well-123"


class Cohort:
    """A cohort with one facilitator and one assignment of the test persona; learners join as needed."""

    def __init__(self, engine, name: str = "Spring", facilitator: str = "fran"):
        self.engine = engine
        create_user(engine, facilitator, "facilitator", password=FACILITATOR_PASSWORD)
        self.row = create_cohort(engine, authenticate(engine, facilitator, FACILITATOR_PASSWORD), name)
        self.facilitator = authenticate(engine, facilitator, FACILITATOR_PASSWORD)
        self.assignment = create_assignment(
            engine,
            self.facilitator,
            self.row.id,
            "test-person",
            {"test-person"},
            criteria=PassCriteria(min_learner_turns=2, min_mean_score=3.5),
            max_attempts=2,
        )

    def learner(self, username: str):
        return join_with_new_account(self.engine, self.row.join_code, username, LEARNER_PASSWORD)[0]

    def token(self, actor) -> str:
        return login_token(self.engine, actor)

    def finished_attempt(self, actor, turns=("It sounds like a hard day.", "What happened?")) -> str:
        session = self.svc.start_assignment(self.assignment.id, actor)
        for text in turns:
            "".join(session.take_turn(text))
        session.end()
        return session.id


@pytest.fixture
def cohort(local_env, svc) -> Cohort:
    made = Cohort(svc.engine)
    made.svc = svc
    return made


def fill(at, label: str, value: str):
    [field for field in at.text_input if field.label == label][0].input(value)


def join_form(at, username: str, password: str):
    fill(at, "Username", username)
    fill(at, "Password", password)
    return button(at, "Create account and join").click().run()


def test_a_new_learner_creates_an_account_and_joins_in_one_step(cohort):
    at = page_as(None, JOIN, code=cohort.row.join_code.lower())
    assert at.subheader[0].value == "Spring"
    at = join_form(at, "Ana", LEARNER_PASSWORD)
    assert not at.error, [e.value for e in at.error]
    ana = find_user(cohort.engine, "ana")
    members = cohort_members(cohort.engine, cohort.facilitator, cohort.row.id)
    assert ("ana", "learner") in [(user.username, role) for user, role in members]
    target = redirect_target(at)
    assert target.startswith("/auth/session?ticket=") and ticket_in(target)
    assert ana.password_hash and LEARNER_PASSWORD not in ana.password_hash


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("fran", LEARNER_PASSWORD, "The user name 'fran' is taken"),
        ("ana", "short", "The password is too short"),
        ("a b", LEARNER_PASSWORD, "is not allowed"),
    ],
)
def test_a_join_that_cannot_be_done_says_why_and_stores_nothing(cohort, username, password, message):
    at = join_form(page_as(None, JOIN, code=cohort.row.join_code), username, password)
    assert message in at.error[0].value
    assert redirect_target(at) is None
    assert len(cohort_members(cohort.engine, cohort.facilitator, cohort.row.id)) == 1


def test_an_unknown_code_is_refused_plainly(cohort):
    at = page_as(None, JOIN, code="NOPE1234")
    assert "unknown or has expired" in at.error[0].value
    assert not at.text_input


def test_a_logged_in_user_joins_with_one_click_and_only_once(cohort, svc):
    create_user(cohort.engine, "bea", password=LEARNER_PASSWORD)
    token = cohort.token(authenticate(cohort.engine, "bea", LEARNER_PASSWORD))
    at = page_as(token, JOIN, code=cohort.row.join_code)
    button(at, "Join Spring").click().run()
    assert "You joined Spring" in at.success[0].value
    button(at, "Join Spring").click().run()
    assert "already in the cohort 'Spring'" in at.info[0].value


def test_home_shows_each_assignment_with_status_criteria_and_attempts_before_starting(cohort):
    at = browser_of(cohort.token(cohort.learner("ana"))).run()
    shown = texts(at)
    assert "Test person  :gray-badge[not started]" in shown
    assert "**To pass:** a mean score of at least 3.5 out of 5; at least 2 turns of yours." in shown
    assert "Spring · no due date · 0 attempt(s) so far, 2 left" in shown
    assert "Your facilitators in Spring will see this session" in shown
    assert button(at, "Start this assignment").disabled is False


def test_starting_an_assignment_links_the_session_and_says_so_while_practising(cohort):
    ana = cohort.learner("ana")
    at = browser_of(cohort.token(ana)).run()
    button(at, "Start this assignment").click().run()
    assert at.title[0].value == "Test person"
    assert "**Assignment for Spring**" in at.info[0].value
    say(at.switch_page(PRACTICE), "It sounds like a hard day.")
    session_id = cohort.svc.resume_open(ana).id
    assert load_session(cohort.engine, session_id, ana).info.assignment_id == cohort.assignment.id


def test_used_up_attempts_disable_the_start_button(cohort):
    ana = cohort.learner("ana")
    cohort.finished_attempt(ana)
    cohort.finished_attempt(ana, ["You should rest.", "Did you sleep?"])
    at = browser_of(cohort.token(ana)).run()
    assert "2 attempt(s) so far, 0 left" in texts(at)
    assert button(at, "Start this assignment").disabled is True


def test_deleting_my_data_needs_a_confirmation_and_removes_every_session(cohort):
    ana = cohort.learner("ana")
    cohort.finished_attempt(ana)
    at = browser_of(cohort.token(ana)).run()
    assert button(at, "Delete all my data").disabled is True
    at.checkbox[0].check().run()
    button(at, "Delete all my data").click().run()
    assert at.success[0].value == "Deleted 1 session(s)."
    assert session_summaries(cohort.engine, ana) == []


def test_the_facilitator_creates_a_cohort_and_sees_its_join_link(cohort):
    at = page_as(cohort.token(cohort.facilitator), COHORT)
    fill(at, "Cohort name", "Autumn")
    button(at, "Create cohort").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == "Autumn"
    shown = texts(at)
    assert "/join?code=" in shown
    code = shown.split("/join?code=")[1][:8]
    assert cohort.svc.cohort_for_code(code).name == "Autumn"


def test_the_facilitator_assigns_a_persona_with_pass_criteria(cohort):
    at = page_as(cohort.token(cohort.facilitator), COHORT)
    [s for s in at.selectbox if s.label == "Persona"][0].set_value("test-person")
    [n for n in at.number_input if n.label == "Minimum learner turns"][0].set_value(4)
    [n for n in at.number_input if n.label == "Maximum attempts"][0].set_value(1)
    button(at, "Create assignment").click().run()
    assert "Assigned Test person" in at.success[0].value
    ana = cohort.learner("ana")
    newest = cohort.svc.assignments(ana)[-1]
    assert newest.criteria.min_learner_turns == 4 and newest.assignment.max_attempts == 1


def test_the_dashboard_grid_and_skills_show_what_learners_did(cohort):
    ana = cohort.learner("ana")
    cohort.learner("bea")
    cohort.finished_attempt(ana)
    at = page_as(cohort.token(cohort.facilitator), COHORT)
    grid = at.table[0].value
    assert list(grid.index) == ["ana", "bea"]
    cells = list(grid.iloc[:, 0])
    assert cells[0].startswith("passed (1 attempt(s), best") and cells[1] == "not started (0 attempt(s))"
    skills = at.table[1].value
    assert set(skills.index) == {"ana"}
    assert "Listening quality (mean score, 1-5)" in set(skills["skill"])
    assert "Facilitators kept" not in texts(at) and "No turns reviewed yet" in texts(at)
    assert [b.label for b in at.button].count("Open transcript") == 1


def test_a_learner_opening_another_learners_session_is_refused(cohort):
    ana, bea = cohort.learner("ana"), cohort.learner("bea")
    session_id = cohort.finished_attempt(bea, ["It sounds like bea's secret.", "What else?"])
    at = page_as(cohort.token(ana), DEBRIEF, session=session_id)
    assert [e.value for e in at.error] == [f"You do not have access to session {session_id}."]
    assert "bea's secret" not in texts(at)


def test_a_facilitator_of_another_cohort_is_refused(cohort, svc):
    other = Cohort(svc.engine, name="Other", facilitator="olga")
    session_id = cohort.finished_attempt(cohort.learner("ana"))
    at = page_as(other.token(other.facilitator), DEBRIEF, session=session_id)
    assert [e.value for e in at.error] == [f"You do not have access to session {session_id}."]
    assert "It sounds like a hard day." not in texts(at)


def test_the_facilitator_reviews_read_only_and_overrides_a_grade(cohort):
    ana = cohort.learner("ana")
    session_id = cohort.finished_attempt(ana)
    at = page_as(cohort.token(cohort.facilitator), DEBRIEF, session=session_id)
    assert at.title[0].value == "Review: ana · Test person"
    assert "Try again from here" not in [b.label for b in at.button]
    [s for s in at.selectbox if s.label == "Label"][0].set_value("advice")
    fill(at, "Reason", "This fixed rather than reflected.")
    button(at, "Override grade").click().run()
    assert not at.error, [e.value for e in at.error]
    notes = turn_notes(cohort.engine, cohort.facilitator, session_id)
    first = min(notes)
    assert notes[first][0].kind == "override" and "This fixed rather than reflected." in notes[first][0].text
    assert "**fran** overrode the grade:" in texts(at)
    learner_view = page_as(cohort.token(ana), DEBRIEF, session=session_id)
    assert "advice (fixing)" in texts(learner_view) and "Reviewed by a facilitator" in texts(learner_view)


def test_the_facilitator_removes_a_learner_whose_sessions_then_leave_the_dashboard(cohort):
    ana = cohort.learner("ana")
    cohort.finished_attempt(ana)
    at = page_as(cohort.token(cohort.facilitator), COHORT)
    button(at, "Remove").click().run()
    assert not at.exception, [e.value for e in at.exception]
    members = cohort_members(cohort.engine, cohort.facilitator, cohort.row.id)
    assert [user.username for user, _ in members] == ["fran"]
    assert "Open transcript" not in [b.label for b in at.button]
    assert "No learners yet" in texts(at)


def test_the_facilitators_comment_shows_beside_the_turn_for_the_learner(cohort):
    ana = cohort.learner("ana")
    session_id = cohort.finished_attempt(ana)
    at = page_as(cohort.token(cohort.facilitator), DEBRIEF, session=session_id)
    [area for area in at.text_area if area.label == "Comment"][0].input("Lovely reflection here.")
    button(at, "Add comment").click().run()
    assert "**fran** commented:] Lovely reflection here." in texts(at)
    learner_view = page_as(cohort.token(ana), DEBRIEF, session=session_id)
    assert "**fran** commented:] Lovely reflection here." in texts(learner_view)
    assert "Override grade" not in [b.label for b in learner_view.button]
    assert "Override grade" in [b.label for b in at.button]


def test_the_gradebook_download_has_a_row_per_learner_and_assignment(cohort):
    cohort.finished_attempt(cohort.learner("ana"))
    cohort.learner("bea")
    board = cohort_dashboard(cohort.engine, cohort.facilitator, cohort.row.id)
    rows = list(csv.DictReader(io.StringIO(gradebook_csv(board))))
    cells = [(row["learner"], row["status"], row["attempts"]) for row in rows]
    assert cells == [("ana", "passed", "1"), ("bea", "not started", "0")]
    at = page_as(cohort.token(cohort.facilitator), COHORT)
    assert [b.label for b in at.get("download_button")] == ["Download the gradebook (CSV)"]


def test_the_dashboard_picks_out_the_transcripts_worth_discussing(cohort):
    ana, bea = cohort.learner("ana"), cohort.learner("bea")
    cohort.finished_attempt(ana)
    rough = cohort.finished_attempt(bea, turns=("You should sleep early.", "What happened?"))
    at = page_as(cohort.token(cohort.facilitator), COHORT)
    assert "**bea** · Test person" in texts(at) and "roadblocks in 50% of turns" in texts(at)
    assert [b.label for b in at.button].count("Open transcript") == 2
    assert [b.key for b in at.button if b.label == "Discuss"] == [f"discuss-{rough}"]
    [b for b in at.button if b.key == f"discuss-{rough}"][0].click().run()
    assert at.query_params["session"] == rough and at.title[0].value == "Review: bea · Test person"
