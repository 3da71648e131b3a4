"""Resume after a crash: the process dies between the learner's turn and the reply; nothing is lost."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from simulator.access import LOCAL_ACTOR
from simulator.store import load_session, open_session_id
from tests.fixtures_app import PRACTICE, page, say

ROOT = Path(__file__).resolve().parent.parent
TURN = "It sounds like today took everything out of you."
CHILD = textwrap.dedent(
    f"""
    import time
    from simulator import backends
    from simulator.access import LOCAL_ACTOR
    from simulator.app.services import build_services
    from simulator.settings import Settings
    from tests.fixtures_app import KeywordGrader

    class HangingSpeaker:
        name = "hanging"

        def opening(self, persona):
            return persona.lines.opening

        def stream_reply(self, request):
            print("REPLYING", flush=True)
            time.sleep(600)
            yield "never said"

    backends.fast_grader = KeywordGrader
    services = build_services(Settings())
    services.speaker = HangingSpeaker()
    session = services.start("test-person", LOCAL_ACTOR)
    print("SESSION", session.id, flush=True)
    for piece in session.take_turn({TURN!r}):
        pass
    """
)


def crash_mid_reply() -> str:
    """Run a session in a child process, kill -9 it while the reply is being made; return the session id."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True
    )
    try:
        session_line = child.stdout.readline().split()
        assert session_line[0] == "SESSION", session_line
        assert child.stdout.readline().strip() == "REPLYING"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        child.kill()
        child.stdout.close()
    return session_line[1]


def test_the_turn_survives_a_crash_and_the_session_continues(app_env, svc):
    session_id = crash_mid_reply()
    assert open_session_id(svc.engine, LOCAL_ACTOR) == session_id
    resumed = svc.resume_open(LOCAL_ACTOR)
    assert resumed.id == session_id
    assert [t.text for t in resumed.learner_turns] == [TURN]
    assert resumed.learner_turns[0].grade.primary == "reflection"
    assert resumed.reply_pending
    reply = "".join(resumed.stream_reply())
    assert reply and not resumed.reply_pending
    "".join(resumed.take_turn("What happened at work?"))
    resumed.end()
    stored = load_session(svc.engine, session_id, LOCAL_ACTOR)
    assert [t.role for t in stored.turns] == ["persona", "learner", "persona", "learner", "persona"]
    assert stored.turns[2].text == reply
    assert stored.metrics.learner_turns == 2


def test_reopening_the_app_after_a_crash_shows_the_turn_and_answers_it(app_env, svc):
    session_id = crash_mid_reply()
    at = page(PRACTICE)
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["assistant", "user", "assistant"]
    assert at.chat_message[1].markdown[0].value == TURN
    say(at, "What happened at work?")
    stored = load_session(svc.engine, session_id, LOCAL_ACTOR)
    assert [t.role for t in stored.turns] == ["persona", "learner", "persona", "learner", "persona"]
