"""`listenlab users`, `cohort`, `purge` and `chat --user/--assignment`: an admin's script of a cohort, and
every bad input refused in one line with exit code 2 and nothing stored."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from simulator.access import LOCAL_ACTOR
from simulator.accounts import actor_of, find_user
from simulator.cohorts import OPERATOR, cohort_assignments, find_cohort
from simulator.personas import load_personas
from simulator.recording import utc_now
from simulator.session import PracticeSession
from simulator.speaker.scripted import ScriptedSpeaker
from simulator.store import StoreRecorder, load_session, open_store
from simulator.store.models import CohortRow, SessionRow, UserRow
from tests.cohort_cli import Commands, cohort_db_url, refused_in_one_line  # noqa: F401
from tests.fakes import FakeGrader

LEARNERS = ["ana", "ben", "cal"]
TURNS = ("That sounds like a long shift.", "What was the hardest part?", "It makes sense you feel drained.")


@pytest.fixture
def sqlite_commands(tmp_path) -> Commands:
    return Commands(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)


@pytest.fixture
def cohort(sqlite_commands) -> dict:
    """fran facilitates 'Leads spring'; ana, ben and cal are learners in it; one assignment."""
    run = sqlite_commands
    run.add_user("fran", "facilitator")
    for name in LEARNERS:
        run.add_user(name)
    created = run.json("cohort", "create", "Leads spring", "--facilitator", "fran")
    for name in LEARNERS:
        run.ok("cohort", "join", created["code"], "--user", name)
    assignment = run.json("cohort", "assign", "Leads spring", "--persona", "stressed-partner")
    return {**created, "assignment": assignment["id"]}


def stored_users(run: Commands) -> list[str]:
    return [user["username"] for user in run.json("users", "list")]


def test_an_admin_scripts_a_cohort_and_the_gradebook_shows_each_learners_standing(cohort_db_url, tmp_path):  # noqa: F811
    run = Commands(cohort_db_url, tmp_path)
    run.add_user("fran", "facilitator")
    for name in LEARNERS:
        run.add_user(name)
    created = run.json("cohort", "create", "Leads spring", "--facilitator", "fran", "--code-days", "7")
    for name in LEARNERS:
        run.ok("cohort", "join", created["code"], "--user", name)
    assignment = run.json(
        "cohort",
        "assign",
        str(created["id"]),
        "--persona",
        "stressed-partner",
        "--due",
        "2099-06-30",
        "--min-score",
        "1",
        "--max-attempts",
        "3",
    )["id"]
    first, second = run.chat("ana", assignment, *TURNS[:1]), run.chat("ana", assignment, *TURNS)
    run.chat("ben", assignment, TURNS[0])

    rows = {row["learner"]: row for row in run.gradebook("Leads spring")}
    best = max(first["summary"]["mean_score"], second["summary"]["mean_score"])
    assert (rows["ana"]["status"], rows["ana"]["attempts"]) == ("passed", "2")
    assert float(rows["ana"]["best_score"]) == pytest.approx(best, abs=0.005)
    assert (rows["ben"]["attempts"], rows["cal"]["status"], rows["cal"]["attempts"]) == (
        "1",
        "not started",
        "0",
    )
    assert {row["persona"] for row in rows.values()} == {"stressed-partner"}
    assert {row["due"] for row in rows.values()} == {"2099-06-30"}
    engine = open_store(cohort_db_url)
    ana = actor_of(engine, find_user(engine, "ana"))
    stored = load_session(engine, second["session_id"], ana)
    assert (stored.info.user_id, stored.info.assignment_id) == (ana.id, assignment)
    assert [turn.text for turn in stored.learner_turns] == list(TURNS)


def test_cohort_create_prints_the_join_code_and_the_link_at_the_base_url(sqlite_commands):
    sqlite_commands.add_user("fran", "facilitator")
    sqlite_commands.env["LISTENLAB_BASE_URL"] = "https://listen.example.org/"
    result = sqlite_commands.ok("cohort", "create", "Leads", "--facilitator", "fran")
    code = find_cohort(open_store(sqlite_commands.db_url), "Leads").join_code
    assert code in result.stdout and f"https://listen.example.org/join?code={code}" in result.stdout
    sqlite_commands.env["LISTENLAB_BASE_URL"] = ""
    local = sqlite_commands.json("cohort", "create", "Leads two", "--facilitator", "fran")
    assert local["link"] == f"http://127.0.0.1:8501/join?code={local['code']}"


@pytest.mark.parametrize(
    ("password", "words"),
    [("", "The password is empty"), ("short", "too short"), ("\n", "The password is empty")],
)
def test_users_add_refuses_an_empty_or_short_password_and_stores_nothing(sqlite_commands, password, words):
    result = sqlite_commands("users", "add", "dora", "--password-stdin", input=password)
    refused_in_one_line(result, words)
    assert "dora" not in stored_users(sqlite_commands)


def test_users_add_refuses_a_taken_name_and_keeps_the_first_account(sqlite_commands):
    sqlite_commands.add_user("dora", "facilitator")
    again = sqlite_commands(
        "users", "add", "DORA", "--role", "admin", "--password-stdin", input="another-pw\n"
    )
    refused_in_one_line(again, "'dora' is taken")
    users = sqlite_commands.json("users", "list")
    assert [(u["username"], u["role"]) for u in users if u["username"] == "dora"] == [("dora", "facilitator")]


def test_users_list_shows_names_and_roles_never_password_hashes(sqlite_commands):
    sqlite_commands.add_user("dora", "admin")
    listed = sqlite_commands.ok("users", "list")
    as_json = sqlite_commands.ok("users", "list", "--json")
    assert "dora" in listed.stdout and "admin" in listed.stdout
    assert "argon2" not in listed.stdout + as_json.stdout and "password_hash" not in as_json.stdout


def test_users_role_changes_a_role_and_refuses_an_unknown_user_or_role(sqlite_commands):
    sqlite_commands.add_user("dora")
    sqlite_commands.ok("users", "role", "dora", "facilitator")
    assert find_user(open_store(sqlite_commands.db_url), "dora").role == "facilitator"
    refused_in_one_line(sqlite_commands("users", "role", "nobody", "admin"), "There is no user 'nobody'")
    refused_in_one_line(sqlite_commands("users", "role", "dora", "boss"), "Unknown role 'boss'")
    assert find_user(open_store(sqlite_commands.db_url), "dora").role == "facilitator"


def expire_code(db_url: str, cohort_id: int) -> None:
    with Session(open_store(db_url)) as db:
        row = db.get(CohortRow, cohort_id)
        row.code_expires_at = utc_now() - timedelta(minutes=1)
        db.add(row)
        db.commit()


def members_of(run: Commands, cohort: str) -> str:
    return run.ok("cohort", "members", cohort).stdout


def test_joining_refuses_an_unknown_or_expired_code_and_joining_twice(sqlite_commands, cohort):
    run = sqlite_commands
    run.add_user("dora")
    refused_in_one_line(run("cohort", "join", "NOSUCHCODE", "--user", "dora"), "unknown or has expired")
    refused_in_one_line(run("cohort", "join", cohort["code"], "--user", "ana"), "already in the cohort")
    expire_code(run.db_url, cohort["id"])
    refused_in_one_line(run("cohort", "join", cohort["code"], "--user", "dora"), "unknown or has expired")
    assert "dora" not in members_of(run, "Leads spring")


def test_an_unknown_cohort_or_user_is_refused_by_every_command(sqlite_commands, cohort):
    run, code = sqlite_commands, cohort["code"]
    no_cohort = "There is no cohort 'Nope'"
    refused_in_one_line(run("cohort", "members", "Nope"), no_cohort)
    refused_in_one_line(run("cohort", "remove", "Nope", "ana"), no_cohort)
    refused_in_one_line(run("cohort", "assign", "Nope", "--persona", "stressed-partner"), no_cohort)
    refused_in_one_line(run("cohort", "report", "Nope", "--csv", str(run.tmp_path / "g.csv")), no_cohort)
    refused_in_one_line(run("cohort", "join", code, "--user", "nobody"), "There is no user 'nobody'")
    refused_in_one_line(run("cohort", "remove", "Leads spring", "nobody"), "There is no user 'nobody'")
    refused_in_one_line(
        run("cohort", "create", "New", "--facilitator", "nobody"), "There is no user 'nobody'"
    )
    refused_in_one_line(run("cohort", "create", "New", "--facilitator", "ana"), "'ana' is a learner")
    refused_in_one_line(run("cohort", "create", "Leads spring", "--facilitator", "fran"), "already a cohort")
    with pytest.raises(ValueError, match="no cohort 'New'"):
        find_cohort(open_store(run.db_url), "New")
    assert not (run.tmp_path / "g.csv").exists()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--persona", "nobody-at-all"], "There is no persona 'nobody-at-all'"),
        (["--persona", "stressed-partner", "--due", "31/01/2027"], "The due date '31/01/2027' is not a date"),
        (["--persona", "stressed-partner", "--opens", "soon"], "The opening date 'soon' is not a date"),
        (["--persona", "stressed-partner", "--min-score", "6"], "--min-score"),
        (["--persona", "stressed-partner", "--max-roadblock-rate", "1.5"], "--max-roadblock-rate"),
        (["--persona", "stressed-partner", "--max-attempts", "0"], "--max-attempts must be at least 1"),
        (
            ["--persona", "stressed-partner", "--opens", "2027-02-01", "--due", "2027-01-01"],
            "must come after",
        ),
    ],
)
def test_assign_refuses_bad_input_and_stores_no_assignment(sqlite_commands, cohort, options, words):
    refused_in_one_line(sqlite_commands("cohort", "assign", "Leads spring", *options), words)
    engine = open_store(sqlite_commands.db_url)
    assert [a.id for a in cohort_assignments(engine, OPERATOR, cohort["id"])] == [cohort["assignment"]]


def test_assign_stores_the_criteria_and_dates_the_learner_is_shown(sqlite_commands, cohort):
    made = sqlite_commands.json(
        "cohort",
        "assign",
        "Leads spring",
        "--persona",
        "quiet-employee",
        "--opens",
        "2027-01-01",
        "--due",
        "2027-01-31",
        "--min-score",
        "3.5",
        "--breakthrough",
        "--max-roadblock-rate",
        "0.2",
        "--min-turns",
        "4",
        "--max-attempts",
        "2",
    )
    engine = open_store(sqlite_commands.db_url)
    row = next(a for a in cohort_assignments(engine, OPERATOR, cohort["id"]) if a.id == made["id"])
    assert row.criteria == {
        "min_mean_score": 3.5,
        "breakthrough": True,
        "max_roadblock_rate": 0.2,
        "min_learner_turns": 4,
    }
    assert (row.persona_id, row.max_attempts) == ("quiet-employee", 2)
    assert (row.opens_at.date().isoformat(), row.due_at.date().isoformat()) == ("2027-01-01", "2027-01-31")


def test_members_lists_the_cohort_and_remove_takes_a_learner_out(sqlite_commands, cohort):
    run = sqlite_commands
    assert all(name in members_of(run, "Leads spring") for name in ["fran", *LEARNERS])
    run.ok("cohort", "remove", "Leads spring", "ben")
    assert "ben" not in members_of(run, "Leads spring")
    refused_in_one_line(run("cohort", "remove", "Leads spring", "ben"), "'ben' is not in this cohort")
    assert [row["learner"] for row in run.gradebook("Leads spring")] == ["ana", "cal"]


def test_chat_refuses_an_assignment_that_is_not_the_users(sqlite_commands, cohort):
    run, assignment = sqlite_commands, str(cohort["assignment"])
    run.add_user("dora")
    script = run.tmp_path / "turns.txt"
    script.write_text("Hello.\n", encoding="utf-8")
    chat = ("chat", "--assignment", assignment, "--script", str(script))
    refused_in_one_line(run(*chat, "--user", "dora"), f"Assignment {assignment} is not one of yours")
    refused_in_one_line(run(*chat), "practising as 'local'; name the learner with --user")
    refused_in_one_line(run(*chat, "--user", "nobody"), "There is no user 'nobody'")
    refused_in_one_line(run(*chat, "--user", "ana", "--persona", "quiet-employee"), "with persona")
    refused_in_one_line(run(*chat, "--user", "ana", "--no-save"), "leave out --no-save")
    with Session(open_store(run.db_url)) as db:
        assert db.exec(select(SessionRow)).all() == []


def test_chat_stops_at_the_assignments_attempts_limit(sqlite_commands, cohort):
    run = sqlite_commands
    limited = run.json(
        "cohort", "assign", "Leads spring", "--persona", "quiet-employee", "--max-attempts", "1"
    )
    run.chat("cal", limited["id"], "How are things?")
    script = run.tmp_path / "again.txt"
    script.write_text("Hello again.\n", encoding="utf-8")
    again = run("chat", "--user", "cal", "--assignment", str(limited["id"]), "--script", str(script))
    refused_in_one_line(again, "used all 1 attempts")
    assert [row["attempts"] for row in run.gradebook("Leads spring") if row["learner"] == "cal"] == ["0", "1"]


def open_session_for(db_url: str, username: str, assignment_id: int) -> str:
    """A session of the user's for the assignment, left open after its opening line."""
    engine = open_store(db_url)
    with Session(engine) as db:
        user_id = db.exec(select(UserRow.id).where(UserRow.username == username)).one()
    persona = load_personas()["stressed-partner"]
    recorder = StoreRecorder(engine)
    recorder.remember_persona(persona)
    session = PracticeSession.begin(persona, ScriptedSpeaker(), FakeGrader(), recorder=recorder)
    with Session(engine) as db:
        row = db.get(SessionRow, session.id)
        row.user_id, row.assignment_id = user_id, assignment_id
        db.add(row)
        db.commit()
    return session.id


def test_chat_resume_acts_as_the_user_named(sqlite_commands, cohort):
    run = sqlite_commands
    session_id = open_session_for(run.db_url, "ana", cohort["assignment"])
    script = run.tmp_path / "more.txt"
    script.write_text("Tell me more.\n", encoding="utf-8")
    refused_in_one_line(run("chat", "--resume", session_id, "--script", str(script)), "do not have access")
    refused_in_one_line(
        run("chat", "--resume", session_id, "--user", "ben", "--script", str(script)), "do not have access"
    )
    # the cohort's facilitator may read ana's session, but never carry it on as if it were theirs
    refused_in_one_line(
        run("chat", "--resume", session_id, "--user", "fran", "--script", str(script)), "do not have access"
    )
    run.ok("chat", "--resume", session_id, "--user", "ana", "--script", str(script))
    engine = open_store(run.db_url)
    stored = load_session(engine, session_id, actor_of(engine, find_user(engine, "ana")))
    assert stored.ended_at is not None and stored.info.assignment_id == cohort["assignment"]
    assert [turn.text for turn in stored.learner_turns] == ["Tell me more."]
    assert [row["attempts"] for row in run.gradebook("Leads spring") if row["learner"] == "ana"] == ["1"]


def end_long_ago(db_url: str, session_id: str, days: int) -> None:
    with Session(open_store(db_url)) as db:
        row = db.get(SessionRow, session_id)
        row.ended_at = utc_now() - timedelta(days=days)
        db.add(row)
        db.commit()


def test_purge_removes_only_sessions_that_ended_before_the_retention_period(sqlite_commands, cohort):
    run = sqlite_commands
    old, recent = (run.chat(name, cohort["assignment"], "Hm.")["session_id"] for name in ("ana", "ben"))
    end_long_ago(run.db_url, old, 40)
    result = run.ok("purge", "--older-than", "30")
    assert "Removed 1 session" in result.stdout
    with Session(open_store(run.db_url)) as db:
        assert [row.id for row in db.exec(select(SessionRow))] == [recent]
    refused_in_one_line(run("purge", "--older-than", "-1"), "--older-than must be 0 days or more")


def test_free_practice_without_user_stays_the_local_learners(sqlite_commands):
    script = sqlite_commands.tmp_path / "free.txt"
    script.write_text("How was your day?\n", encoding="utf-8")
    session = sqlite_commands.json("chat", "-p", "stressed-partner", "--script", str(script))
    stored = load_session(open_store(sqlite_commands.db_url), session["session_id"], LOCAL_ACTOR)
    assert (stored.info.user_id, stored.info.assignment_id) == ("local", None)
