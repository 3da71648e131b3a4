"""The practice loop over the real OpenAI client and the local test server: replies, grades, faults."""

import json
import os

import pytest

from simulator.access import LOCAL_ACTOR
from simulator.grader.llm_grader import LLMGrader
from simulator.llm import OpenAIChatBackend
from simulator.session import PracticeSession, ReplyFailed
from simulator.speaker.model import ModelSpeaker
from simulator.store import StoreRecorder, load_session, open_store
from tests.cli_runner import run_chat_json
from tests.fakes import FakeGrader, grade_of

GRADE = {
    "labels": ["reflection"],
    "primary": "reflection",
    "score": 4,
    "rationale": "Restates the tiredness.",
    "suggestion": "It sounds like today wore you out.",
}
REPLY = "Yeah. It's been a long week, honestly."


def grade_or_reply(body: dict):
    """Structured requests get a grade, chat requests a persona line (they run concurrently)."""
    return GRADE if body.get("response_format") or body.get("tools") else REPLY


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'sessions.db'}")


def begin(openai_server, persona, store, max_retries=0):
    backend = OpenAIChatBackend(
        openai_server.base_url, "k", "test-model", timeout_s=2.0, max_retries=max_retries
    )
    recorder = StoreRecorder(store)
    fast = FakeGrader(default=grade_of("reflection"))
    return PracticeSession.begin(
        persona, ModelSpeaker(backend), fast, feedback_grader=LLMGrader(backend), recorder=recorder
    )


def test_reply_and_llm_feedback_come_through_the_real_client(openai_server, llm_persona, store):
    openai_server.responder = grade_or_reply
    session = begin(openai_server, llm_persona, store)
    reply = "".join(session.take_turn("Sounds like a long day."))
    grade = session.feedback(1, timeout=10)
    assert reply == REPLY
    assert grade.ok and grade.suggestion == GRADE["suggestion"] and grade.grader.endswith("@grade_v1")
    stored = load_session(store, session.id, LOCAL_ACTOR)
    assert [t.role for t in stored.turns] == ["persona", "learner", "persona"]
    assert stored.turns[1].grade.rationale == GRADE["rationale"]


def test_failed_speaker_call_keeps_the_turn_and_says_what_happened(openai_server, llm_persona, store):
    openai_server.responder = grade_or_reply
    session = begin(openai_server, llm_persona, store)
    openai_server.fail_next("server", times=1)
    session.feedback_grader = session.fast_grader  # keep the fault for the speaker's call
    with pytest.raises(ReplyFailed, match="(?i)500|server") as failure:
        "".join(session.take_turn("What's been the hardest part?"))
    assert "saved" in str(failure.value)
    stored = load_session(store, session.id, LOCAL_ACTOR)
    assert stored.turns[-1].role == "learner" and stored.turns[-1].text == "What's been the hardest part?"
    assert "".join(session.stream_reply()) == REPLY
    assert [t.role for t in load_session(store, session.id, LOCAL_ACTOR).turns][-1] == "persona"


def test_failed_grade_is_stored_with_its_reason_and_the_conversation_goes_on(
    openai_server, llm_persona, store
):
    openai_server.responder = lambda body: "not json" if body.get("response_format") else REPLY
    session = begin(openai_server, llm_persona, store)
    assert "".join(session.take_turn("That sounds hard.")) == REPLY
    grade = session.feedback(1, timeout=20)
    assert grade.status == "failed" and grade.error
    assert "".join(session.take_turn("Tell me more.")) == REPLY
    stored = load_session(store, session.id, LOCAL_ACTOR)
    assert stored.turns[1].grade.status == "failed" and stored.turns[1].grade.error == grade.error
    assert session.metrics().graded_turns == 2  # the fast labels still count


def test_the_cli_chat_runs_against_a_server_with_two_variables(openai_server, tmp_path):
    openai_server.responder = grade_or_reply
    script = tmp_path / "turns.txt"
    script.write_text("Sounds like a long shift.\nWhat was the worst of it?\n")
    env = {
        **os.environ,
        "LISTENLAB_SPEAKER": "openai",
        "OPENAI_BASE_URL": openai_server.base_url,
        "LISTENLAB_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    out = run_chat_json(["-p", "stressed-partner", "--script", str(script)], env)
    assert out.returncode == 0, out.stderr
    session = json.loads(out.stdout)
    assert session["speaker"].startswith("openai")
    assert [t["text"] for t in session["turns"] if t["role"] == "persona"][1:] == [REPLY, REPLY]
    assert sum(1 for body in openai_server.requests if body.get("stream")) == 2
