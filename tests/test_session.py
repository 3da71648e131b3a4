"""The practice loop: persistence order, concurrency with the feedback grader, failures, resume, branch."""

import threading

import pytest

from simulator.grades import TurnGrade
from simulator.recording import MemoryRecorder
from simulator.session import PracticeSession, ReplyFailed
from simulator.speaker.scripted import ScriptedSpeaker
from tests.fakes import FakeGrader, FakeSpeaker, grade_of
from tests.persona_factory import make_persona

PERSONA = make_persona()


def begin(speaker=None, fast=None, feedback=None, recorder=None):
    return PracticeSession.begin(
        PERSONA,
        speaker or FakeSpeaker(),
        fast or FakeGrader(),
        feedback_grader=feedback,
        recorder=recorder or MemoryRecorder(),
    )


def test_opening_and_one_turn_are_recorded():
    recorder = MemoryRecorder()
    session = begin(recorder=recorder)
    reply = "".join(session.take_turn("  Sounds like a long day.  "))
    stored = recorder.turns[session.id]
    assert [t.role for t in stored] == ["persona", "learner", "persona"]
    assert stored[0].text == PERSONA.lines.opening
    assert stored[1].text == "Sounds like a long day." and stored[1].grade.primary == "reflection"
    assert stored[2].text == reply == "reply 1"


def test_learner_turn_is_saved_before_the_speaker_is_called():
    recorder = MemoryRecorder()
    session = begin(recorder=recorder)
    session.submit("What happened?")
    assert recorder.turns[session.id][-1].text == "What happened?"
    assert recorder.turns[session.id][-1].openness == pytest.approx(0.45)
    assert session.reply_pending


def test_reply_does_not_wait_for_the_feedback_grader():
    release = threading.Event()

    class SlowGrader(FakeGrader):
        def grade(self, request):
            assert release.wait(10)
            return grade_of("validation", score=5, grader="slow@1")

    session = begin(feedback=SlowGrader(name="slow@1"))
    reply = "".join(session.take_turn("That sounds exhausting."))
    assert reply == "reply 1" and 1 in session.pending
    release.set()
    assert session.feedback(1, timeout=5).grader == "slow@1"


def test_speaker_failure_keeps_the_turn_and_allows_a_retry():
    recorder = MemoryRecorder()
    session = begin(speaker=FakeSpeaker(fail_on={1}), recorder=recorder)
    with pytest.raises(ReplyFailed, match="model server went away.*saved"):
        "".join(session.take_turn("How are you holding up?"))
    assert [t.role for t in recorder.turns[session.id]] == ["persona", "learner"]
    with pytest.raises(RuntimeError, match="still waiting"):
        session.submit("hello?")
    assert "".join(session.stream_reply()) == "reply 2"
    assert not session.reply_pending


def test_grader_exception_becomes_a_failed_grade_and_the_conversation_goes_on():
    feedback = FakeGrader(name="llm@1").enqueue(RuntimeError("invalid JSON"))
    session = begin(feedback=feedback)
    "".join(session.take_turn("Tell me more."))
    grade = session.feedback(1, timeout=5)
    assert grade.status == "failed" and "invalid JSON" in grade.error
    assert session.metrics().graded_turns == 1  # the fast grade still counts


def test_empty_turn_is_refused():
    with pytest.raises(ValueError, match="empty"):
        begin().submit("   ")


def test_resume_rebuilds_state_and_regrades_missing_feedback():
    recorder = MemoryRecorder()
    first = begin(recorder=recorder)
    "".join(first.take_turn("It sounds like nobody noticed."))
    first.submit("You feel invisible.")
    turns = recorder.turns[first.id]
    turns[-1].grade = None
    resumed = PracticeSession.resume(
        PERSONA, FakeSpeaker(), FakeGrader(), recorder.sessions[first.id], turns, recorder=recorder
    )
    assert resumed.reply_pending and resumed.state.openness == pytest.approx(first.state.openness)
    assert resumed.feedback(3, timeout=5).ok
    assert "".join(resumed.stream_reply()) == "reply 1"
    assert [t.role for t in recorder.turns[first.id]][-1] == "persona"


def test_branch_replays_up_to_the_chosen_learner_turn():
    fast = FakeGrader().enqueue(grade_of("reflection"), grade_of("advice"))
    recorder = MemoryRecorder()
    session = begin(fast=fast, recorder=recorder)
    "".join(session.take_turn("Rough day."))
    "".join(session.take_turn("You should quit."))
    retry = session.branch(3)
    assert retry.info.parent_id == session.id and retry.id != session.id
    assert [t.text for t in retry.turns] == [t.text for t in session.turns[:3]]
    assert retry.state.openness == pytest.approx(0.45)
    assert len(recorder.turns[retry.id]) == 3
    with pytest.raises(ValueError, match="not a learner turn"):
        session.branch(2)


def test_end_summarises_the_session():
    fast = FakeGrader().enqueue(*[grade_of("reflection", score=5)] * 5)
    session = begin(speaker=ScriptedSpeaker(), fast=fast)
    for text in ["a", "b", "c", "d", "e"]:
        "".join(session.take_turn(text))
    metrics = session.end()
    assert metrics.breakthrough and metrics.breakthrough_turn == 4
    assert len(metrics.openness) == 5 and metrics.mean_score == 5


def test_failed_fast_grade_leaves_state_unchanged():
    session = begin(fast=FakeGrader().enqueue(TurnGrade.failed("fake@1", "broken")))
    session.submit("hm")
    assert session.state.openness == pytest.approx(0.3)
