"""Dynamics as pure functions: openness moves, layers unlock, shutdown and breakthrough."""

import pytest

from simulator.dynamics import advance, initial_state, layer_for, openness_delta
from simulator.grades import TurnGrade
from tests.fakes import grade_of
from tests.persona_factory import make_persona

PERSONA = make_persona()


def run(*grades):
    state = initial_state(PERSONA)
    for grade in grades:
        state = advance(PERSONA, state, grade)
    return state


def test_reflection_opens_and_advice_closes():
    assert run(grade_of("reflection")).openness == pytest.approx(0.45)
    assert run(grade_of("advice")).openness == pytest.approx(0.15)


def test_secondary_labels_pulling_the_other_way_count_half():
    mixed = grade_of("advice", "reflection")
    assert openness_delta(PERSONA.dynamics, mixed) == pytest.approx(-0.15 + 0.5 * 0.15)
    spoiled = grade_of("reflection", "judgment")
    assert openness_delta(PERSONA.dynamics, spoiled) == pytest.approx(0.15 - 0.5 * 0.25)


def test_secondary_labels_pulling_the_same_way_do_not_stack():
    assert openness_delta(PERSONA.dynamics, grade_of("judgment", "advice")) == pytest.approx(-0.25)
    assert openness_delta(PERSONA.dynamics, grade_of("reflection", "open_question")) == pytest.approx(0.15)


def test_failed_grade_changes_nothing():
    state = run(TurnGrade.failed("x", "boom"))
    assert state.openness == pytest.approx(0.3) and state.turn == 1 and state.reaction == "neutral"


@pytest.mark.parametrize(
    ("openness", "layer"), [(0.0, 0), (0.39, 0), (0.4, 1), (0.7, 2), (0.75, 3), (1.0, 3)]
)
def test_layer_for_thresholds(openness, layer):
    assert layer_for(PERSONA, openness) == layer


def test_good_listener_reaches_breakthrough_once():
    state = run(*[grade_of("reflection")] * 5)
    assert state.breakthrough and state.breakthrough_turn == 4 and state.layer == 3
    later = advance(PERSONA, state, grade_of("validation"))
    assert later.breakthrough_turn == 4 and later.reaction == "deeper"


def test_fixer_shuts_down_and_recovers_slowly():
    state = run(grade_of("advice"), grade_of("judgment"))
    assert state.shutdown and state.openness == 0.0 and state.reaction == "pushback"
    state = advance(PERSONA, state, grade_of("advice"))
    assert state.reaction == "shutdown"
    recovered = advance(PERSONA, state, grade_of("reflection"))
    assert recovered.openness == pytest.approx(0.075)


@pytest.mark.parametrize(
    ("label", "reaction"),
    [
        ("reflection", "deeper"),
        ("validation", "deeper"),
        ("open_question", "answer"),
        ("closed_question", "closed_answer"),
        ("other", "neutral"),
        ("advice", "pushback"),
        ("reassurance", "pushback"),
        ("self_focus", "pushback"),
    ],
)
def test_reaction_follows_the_primary(label, reaction):
    state = run(grade_of(label))
    assert state.reaction == reaction and state.trigger.value == label


def test_openness_is_clamped():
    assert run(*[grade_of("judgment")] * 5).openness == 0.0
    assert run(*[grade_of("reflection")] * 10).openness == 1.0
