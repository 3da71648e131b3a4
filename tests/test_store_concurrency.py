"""Several writers on one store, as real concurrent processes on SQLite and PostgreSQL: migrating a new
database together, storing the same persona version together, and two writers on one session."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from simulator.access import LOCAL_ACTOR
from simulator.recording import SessionInfo, SessionMovedOn, TurnRecord
from simulator.session import PracticeSession
from simulator.speaker.scripted import ScriptedSpeaker
from simulator.store import StoreRecorder, load_session, open_store
from simulator.store.db import current_revision
from tests.fakes import FakeGrader
from tests.persona_factory import make_persona

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 4
ROUNDS = 12

CHILD = textwrap.dedent(
    """
    import sys, time
    from simulator.recording import SessionMovedOn, TurnRecord
    from simulator.store import StoreRecorder, open_store
    from tests.persona_factory import make_persona

    task, url, start_at, name = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    session_ids = sys.argv[5:]
    time.sleep(max(0.0, start_at - time.time()))
    engine = open_store(url)
    recorder = StoreRecorder(engine)
    if task == "personas":
        for number in range({rounds}):
            recorder.remember_persona(make_persona(title=f"Person {{number}}"))
    if task == "turns":
        for session_id in session_ids:
            try:
                recorder.save_turn(session_id, TurnRecord(index=1, role="learner", text=f"from {{name}}"))
                print("WON", session_id, flush=True)
            except SessionMovedOn:
                print("MOVED", session_id, flush=True)
    print("DONE", flush=True)
    """
).format(rounds=ROUNDS)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'shared.db'}"
    return request.getfixturevalue("postgres_url")


def run_together(task: str, url: str, *session_ids: str, writers: int = WRITERS) -> list[str]:
    """Start `writers` processes that begin the task at the same moment; their outputs, all exit 0."""
    start_at = time.time() + 3.0
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, task, url, str(start_at), f"writer{n}", *session_ids],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for n in range(writers)
    ]
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip().endswith("DONE"), out
        outputs.append(out)
    return outputs


def test_processes_opening_a_brand_new_database_together_all_succeed(db_url):
    run_together("migrate", db_url)
    engine = sa.create_engine(db_url)
    assert current_revision(engine) == "0002_cohorts"
    engine.dispose()


def test_processes_storing_the_same_persona_versions_together_all_succeed(db_url):
    open_store(db_url).dispose()
    run_together("personas", db_url)
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from persona_versions")).scalar() == ROUNDS
    engine.dispose()


def new_session(recorder: StoreRecorder) -> str:
    info = SessionInfo(persona_id="test-person", speaker="scripted", grader="fake@1")
    recorder.start(info)
    recorder.save_turn(info.id, TurnRecord(index=0, role="persona", text="Long day."))
    return info.id


def test_two_processes_writing_the_same_turn_of_a_session_one_wins_and_nothing_is_overwritten(db_url):
    engine = open_store(db_url)
    recorder = StoreRecorder(engine)
    session_ids = [new_session(recorder) for _ in range(ROUNDS)]
    outputs = run_together("turns", db_url, *session_ids, writers=2)
    winners = {
        line.split()[1]: writer
        for writer, out in enumerate(outputs)
        for line in out.splitlines()
        if line.startswith("WON")
    }
    moved = [line for out in outputs for line in out.splitlines() if line.startswith("MOVED")]
    assert sorted(winners) == sorted(session_ids) and len(moved) == ROUNDS
    for session_id, writer in winners.items():
        turns = load_session(engine, session_id, LOCAL_ACTOR).turns
        assert [t.text for t in turns] == ["Long day.", f"from writer{writer}"]
    engine.dispose()


def test_a_second_tab_on_one_session_is_told_to_reload_and_loses_nothing(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'tabs.db'}")
    persona, speaker = make_persona(), ScriptedSpeaker()
    first = PracticeSession.begin(persona, speaker, FakeGrader(), recorder=StoreRecorder(engine))
    stored = load_session(engine, first.id, LOCAL_ACTOR)
    second = PracticeSession.resume(
        persona, speaker, FakeGrader(), stored.info, stored.turns, recorder=StoreRecorder(engine)
    )
    "".join(first.take_turn("That sounds exhausting."))
    with pytest.raises(SessionMovedOn, match="reload"):
        second.submit("You should rest.")
    assert [t.text for t in second.turns] == [t.text for t in stored.turns]
    reloaded = load_session(engine, first.id, LOCAL_ACTOR)
    assert [t.text for t in reloaded.turns][:2] == [first.turns[0].text, "That sounds exhausting."]
    assert len(reloaded.turns) == 3
    engine.dispose()
