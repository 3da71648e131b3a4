"""The scripted speaker over whole conversations, graded by the shipped offline grader."""

import pytest

from simulator.backends import fast_grader
from simulator.personas import load_personas, persona_files
from simulator.session import PracticeSession
from simulator.speaker.scripted import ScriptedSpeaker

NAMED = ["stressed-partner", "frustrated-client", "quiet-employee"]

GOOD_LISTENER = [
    "That sounds like it's been a really heavy stretch for you.",
    "What's been the hardest part of it?",
    "It makes sense that you'd feel worn down after all that.",
    "So it's not just this one thing, it's been piling up for a while.",
    "Tell me more about what that's been like for you.",
    "No wonder you're feeling this way.",
    "It sounds like you've been carrying a lot of this on your own.",
    "How has that been sitting with you?",
    "You feel like nobody really sees how much you're doing.",
    "That would hurt anyone.",
    "What do you wish people understood about this?",
    "It sounds like what you need most is to feel that someone is on your side.",
]

HABITUAL_FIXER = [
    "You should just take a break and get some sleep.",
    "Have you tried making a to-do list?",
    "Why don't you just talk to them about it?",
    "Honestly you need to set better boundaries.",
    "Just ignore it, it's not worth the stress.",
    "You should write it all down and deal with it tomorrow.",
    "Have you thought about looking for something else?",
    "The best thing is to just be direct with them.",
    "Try meditating, it really helps.",
    "You need to stop worrying so much.",
    "Make a plan and stick to it.",
    "Why not ask someone for help?",
]


@pytest.fixture(scope="module")
def personas():
    return load_personas()


def converse(persona, lines, seed=0):
    session = PracticeSession.begin(persona, ScriptedSpeaker(), fast_grader())
    session.info.seed = seed
    for text in lines:
        "".join(session.take_turn(text))
    return session


@pytest.mark.parametrize("persona_id", NAMED)
def test_good_listener_reaches_breakthrough_within_twelve_turns(personas, persona_id):
    session = converse(personas[persona_id], GOOD_LISTENER)
    metrics = session.end()
    assert metrics.breakthrough, f"openness stayed at {metrics.openness}"
    assert metrics.breakthrough_turn <= 12
    assert metrics.openness[-1] > metrics.openness[0]


@pytest.mark.parametrize("persona_id", NAMED)
def test_habitual_fixer_does_not_reach_breakthrough(personas, persona_id):
    metrics = converse(personas[persona_id], HABITUAL_FIXER).end()
    assert not metrics.breakthrough
    assert max(metrics.openness) < personas[persona_id].dynamics.start_openness
    assert metrics.roadblock_rate >= 0.75


@pytest.mark.parametrize("persona_id", [path.stem for path in persona_files()])
@pytest.mark.parametrize("lines", [GOOD_LISTENER, HABITUAL_FIXER], ids=["listener", "fixer"])
def test_replies_do_not_repeat_verbatim(personas, persona_id, lines):
    session = converse(personas[persona_id], lines)
    replies = [turn.text for turn in session.turns if turn.role == "persona"]
    assert len(replies) == 13 and len(set(replies)) == len(replies)


def test_same_seed_same_conversation_other_seed_differs(personas):
    persona = personas["stressed-partner"]
    first = [t.text for t in converse(persona, GOOD_LISTENER[:6], seed=1).turns]
    again = [t.text for t in converse(persona, GOOD_LISTENER[:6], seed=1).turns]
    other = [t.text for t in converse(persona, GOOD_LISTENER[:6], seed=2).turns]
    assert first == again and first != other


def test_pushback_follows_a_roadblock_and_a_deeper_layer_follows_listening(personas):
    persona = personas["stressed-partner"]
    session = converse(persona, ["You should just go to bed early tonight."])
    assert session.turns[-1].text in persona.lines.pushback["advice"]
    session = converse(persona, GOOD_LISTENER[:4])
    assert session.state.layer >= 1
    assert session.turns[-1].text in [
        *persona.layers[session.state.layer].lines,
        *persona.layers[session.state.layer].answers,
        *persona.lines.breakthrough,
    ]
