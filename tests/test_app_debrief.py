"""AppTest: the debrief (metrics, notes, chart, graded transcript) and "try again from here"."""

import pytest

from simulator.access import LOCAL_ACTOR, AccessDenied
from simulator.app.debrief import debrief_notes, turn_views
from simulator.grader.measured import measured_agreement
from simulator.store import load_session, open_session_id
from tests.fixtures_app import DEBRIEF, PRACTICE, button, page, say, texts
from tests.persona_factory import make_persona

TURNS = [
    "It sounds like today took everything out of you.",
    "You should sleep early.",
    "What happened at work?",
]


def practise(svc, turns=TURNS) -> str:
    """A finished session with the test persona; returns its id."""
    session = svc.start("test-person", LOCAL_ACTOR)
    for text in turns:
        "".join(session.take_turn(text))
    session.end()
    return session.id


def test_the_debrief_shows_metrics_notes_chart_and_transcript(app_env, svc):
    at = page(DEBRIEF, session=practise(svc))
    assert not at.exception
    assert at.title[0].value == "Debrief: Test person"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["R:Q ratio"] == "1.0 : 1"
    assert metrics["Open questions"] == "100%"
    assert metrics["Roadblock rate"] == "33%"
    assert metrics["Mean score"] == "3.5 / 5"
    assert metrics["Breakthrough"] == "not yet"
    assert "Your share of words" in metrics
    assert at.metric[0].proto.delta == "fair band (≥ 1:1)"
    shown = texts(at)
    assert "Roadblocks in turn(s) 2. The costliest was turn 2, advice (fixing)" in shown
    assert "To practise: turn 2 scored 2/5" in shown
    assert "“It sounds like the week has been relentless.”" in shown
    assert len(at.get("vega_lite_chart")) == 1
    for text in TURNS:
        assert f"**You:** {text}" in shown
    assert [b.label for b in at.button].count("Try again from here") == 3
    assert measured_agreement("keywords@1") in shown  # says which grader graded, and how well it is measured


def test_without_a_session_id_the_latest_debrief_is_shown(app_env, svc):
    practise(svc, ["What happened?"])
    latest = practise(svc, ["It sounds like a hard day."])
    at = page(DEBRIEF)
    assert "Turn 1" in texts(at) and "It sounds like a hard day." in texts(at)
    assert svc.history(LOCAL_ACTOR)[-1].id == latest


def test_with_no_finished_session_the_debrief_says_how_to_get_one(app_env):
    at = page(DEBRIEF)
    assert "No finished session yet" in at.info[0].value


def test_try_again_from_here_replays_up_to_that_turn(app_env, svc):
    original = practise(svc)
    at = page(DEBRIEF, session=original)
    [b for b in at.button if b.label == "Try again from here"][1].click().run()
    assert not at.exception
    assert at.title[0].value == "Test person"
    assert [m.name for m in at.chat_message] == ["assistant", "user", "assistant"]
    assert at.chat_message[1].markdown[0].value == TURNS[0]
    assert "You're back at that moment" in at.info[0].value
    branch_id = open_session_id(svc.engine, LOCAL_ACTOR)
    assert load_session(svc.engine, branch_id, LOCAL_ACTOR).info.parent_id == original
    say(
        at.switch_page(PRACTICE), "It sounds like you needed someone to notice."
    )  # AppTest stays on its last switch_page
    stored = load_session(svc.engine, branch_id, LOCAL_ACTOR)
    assert [t.text for t in stored.turns if t.role == "learner"] == [
        TURNS[0],
        "It sounds like you needed someone to notice.",
    ]
    assert len(load_session(svc.engine, original, LOCAL_ACTOR).learner_turns) == 3


def test_a_retry_left_without_a_turn_is_dropped_when_the_next_one_starts(app_env, svc):
    original = practise(svc)
    button(page(DEBRIEF, session=original), "Try again from here").click().run()
    first_retry = open_session_id(svc.engine, LOCAL_ACTOR)
    button(page(DEBRIEF, session=original), "Try again from here").click().run()
    assert open_session_id(svc.engine, LOCAL_ACTOR) not in (None, first_retry)
    with pytest.raises(AccessDenied):
        load_session(svc.engine, first_retry, LOCAL_ACTOR)


def test_debrief_notes_are_true_to_the_session(app_env, svc):
    stored = load_session(svc.engine, practise(svc), LOCAL_ACTOR)
    persona = make_persona()
    notes = debrief_notes(stored.metrics, turn_views(stored, persona), persona)
    assert notes[0].startswith("No breakthrough this time: openness peaked at")
    assert "You reflected 1 time(s) and asked 1 question(s) — a ratio of 1.0:1" in notes[1]
    assert notes[2].startswith("Roadblocks in turn(s) 2.")
    assert "fell from" in notes[2]
    assert notes[3].startswith("To practise: turn 2 scored 2/5")
    assert notes[4].startswith("Your strongest turn: turn 1, 4.5/5, reflection: “It sounds like")
