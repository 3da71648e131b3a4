"""Coaching: which authored exemplar a learner is shown after a missed move, and when none is."""

import pytest

from simulator.backends import fast_grader
from simulator.coaching import coached, layer_answered, line_answered, repair_kinds, suggest
from simulator.grader.base import GradeRequest
from simulator.grades import TurnGrade
from simulator.labels import LISTENING, ROADBLOCKS, Label
from simulator.personas import load_personas
from simulator.recording import MemoryRecorder, TurnRecord
from simulator.session import PracticeSession
from simulator.speaker.scripted import ScriptedSpeaker
from tests.fakes import FakeGrader, FakeSpeaker, grade_of
from tests.persona_factory import layer, make_persona

L = Label
OFFLINE = "offline@test"
SHIPPED = load_personas()


def coached_layer(name: str, unlock_at: float, topic: str) -> dict:
    """A factory layer with exemplars about its own topic (so picks are traceable)."""
    data = layer(name, unlock_at)
    data["exemplars"] = {
        "reflection": [
            f"It sounds like the {topic} has worn you down.",
            f"So the {topic} lands on you, every single time.",
            "You've been carrying the night shifts at the ward on your own.",
        ],
        "validation": [
            f"Of course the {topic} gets to you.",
            f"Anyone would be tired of the {topic} by now.",
        ],
        "open_question": [
            f"What's the {topic} been like for you?",
            f"What's the hardest part of the {topic}?",
        ],
    }
    return data


PERSONA = make_persona(
    layers=[
        coached_layer("surface", 0, "dishes"),
        coached_layer("under", 0.4, "rota"),
        coached_layer("feeling", 0.6, "loneliness"),
        coached_layer("core", 0.75, "silence"),
    ]
)
PLAIN = make_persona()


def graded(*labels: str, grader: str = OFFLINE, suggestion: str | None = "a template hint") -> TurnGrade:
    return grade_of(*labels, grader=grader).model_copy(update={"suggestion": suggestion})


def kinds_of(persona, index: int, kinds) -> list[str]:
    exemplars = persona.layers[index].exemplars
    return [reply for kind in kinds for reply in exemplars.of(kind)]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (("advice",), {L.REFLECTION, L.VALIDATION}),
        (("reassurance",), {L.VALIDATION, L.REFLECTION}),
        (("judgment",), {L.VALIDATION, L.OPEN_QUESTION}),
        (("self_focus",), {L.REFLECTION, L.OPEN_QUESTION}),
        (("closed_question",), {L.OPEN_QUESTION}),
        (("other",), {L.REFLECTION, L.OPEN_QUESTION}),
        (("reflection", "advice"), {L.REFLECTION, L.VALIDATION}),
        (("reflection",), set()),
        (("validation", "open_question"), set()),
    ],
)
def test_the_missed_move_decides_which_kinds_are_shown(labels, expected):
    assert set(repair_kinds(graded(*labels))) == expected


def test_a_failed_grade_gets_no_kinds():
    assert repair_kinds(TurnGrade.failed(OFFLINE, "boom")) == ()


@pytest.mark.parametrize(
    "labels", [("advice",), ("closed_question",), ("judgment",), ("reflection", "advice")]
)
@pytest.mark.parametrize("index", range(4))
def test_the_suggestion_is_an_exemplar_of_the_repairing_kind_in_that_layer(labels, index):
    grade = graded(*labels)
    pick = suggest(PERSONA, index, PERSONA.layers[index].lines[0], grade)
    assert pick in kinds_of(PERSONA, index, repair_kinds(grade))


@pytest.mark.parametrize("labels", [("reflection",), ("validation",), ("open_question",)])
def test_good_listening_needs_no_suggestion(labels):
    assert suggest(PERSONA, 0, "Long day.", graded(*labels)) is None


def test_a_persona_without_exemplars_has_no_suggestion_to_give():
    assert suggest(PLAIN, 0, "Long day.", graded("advice")) is None


def test_the_pick_is_deterministic():
    line, grade = "The ward was short again tonight.", graded("advice")
    assert {suggest(PERSONA, 1, line, grade) for _ in range(5)} == {suggest(PERSONA, 1, line, grade)}


def test_the_pick_varies_with_the_line_answered():
    lines = [f"{word} again, and nobody noticed." for word in ("Tuesday", "Work", "Home", "Traffic", "Mum")]
    assert len({suggest(PERSONA, 0, line, graded("advice")) for line in lines}) >= 2


def test_the_exemplar_sharing_the_line_words_is_preferred():
    pick = suggest(PERSONA, 0, "Three night shifts on the ward this week.", graded("self_focus"))
    assert pick == "You've been carrying the night shifts at the ward on your own."


def test_exemplars_already_shown_are_not_repeated_until_the_pool_runs_out():
    grade, shown = graded("advice"), []
    pool = kinds_of(PERSONA, 0, repair_kinds(grade))
    for _ in pool:
        shown.append(suggest(PERSONA, 0, "Long day.", grade, shown))
    assert sorted(shown) == sorted(pool)
    assert suggest(PERSONA, 0, "Long day.", grade, shown) in pool


def test_a_layer_past_the_last_is_read_as_the_last():
    assert suggest(PERSONA, 9, "", graded("closed_question")) in kinds_of(PERSONA, 3, [L.OPEN_QUESTION])


def turns(*openness: float) -> list[TurnRecord]:
    """Opening line, then a learner turn (with this openness after it) and a reply, for each value."""
    made = [TurnRecord(index=0, role="persona", text="opening line")]
    for value in openness:
        made.append(TurnRecord(index=len(made), role="learner", text="hm", openness=value))
        made.append(TurnRecord(index=len(made), role="persona", text=f"reply at {value}"))
    return made


def test_the_layer_answered_is_the_one_before_the_turn_moved_it():
    history = turns(0.45, 0.65, 0.2)
    assert layer_answered(PERSONA, history, 1) == 0  # start openness 0.3
    assert layer_answered(PERSONA, history, 3) == 1  # after 0.45
    assert layer_answered(PERSONA, history, 5) == 2  # after 0.65
    assert line_answered(history, 5) == "reply at 0.65"
    assert line_answered(history, 0) == ""


def test_an_offline_grade_gets_an_exemplar_and_keeps_its_rationale():
    history = turns(0.45, 0.65)
    grade = graded("advice")
    result = coached(PERSONA, history, 5, grade)
    assert result.suggestion in kinds_of(PERSONA, 2, [L.REFLECTION, L.VALIDATION])
    assert result.model_dump(exclude={"suggestion"}) == grade.model_dump(exclude={"suggestion"})


def test_an_offline_grade_of_good_listening_loses_its_hint():
    assert coached(PERSONA, turns(), 1, graded("reflection", suggestion="keep going")).suggestion is None


@pytest.mark.parametrize("grader", ["keywords@1", "llm@grade_v1", "fake@1"])
def test_other_graders_keep_their_own_suggestions(grader):
    grade = graded("advice", grader=grader, suggestion="Their own words.")
    assert coached(PERSONA, turns(), 1, grade) == grade


def test_failed_grades_and_personas_without_exemplars_are_left_alone():
    failed = TurnGrade.failed(OFFLINE, "boom")
    assert coached(PERSONA, turns(), 1, failed) == failed
    assert coached(PLAIN, turns(), 1, graded("advice")).suggestion == "a template hint"


def test_a_conversation_shows_a_different_exemplar_each_turn():
    fast = FakeGrader(default=graded("advice"), name=OFFLINE)
    session = PracticeSession.begin(PERSONA, FakeSpeaker(), fast, recorder=MemoryRecorder())
    for text in ("Just do the dishes tomorrow.", "You should ask for help.", "Make a rota."):
        "".join(session.take_turn(text))
    suggestions = [turn.grade.suggestion for turn in session.learner_turns]
    assert len(set(suggestions)) == 3


def stressed_session(feedback=None) -> PracticeSession:
    persona = SHIPPED["stressed-partner"]
    return PracticeSession.begin(
        persona, ScriptedSpeaker(), fast_grader(), feedback_grader=feedback, recorder=MemoryRecorder()
    )


ADVICE_TURN = "You should just make a rota and tell Claire she has to help."


def test_advice_to_the_stressed_partner_is_answered_with_one_of_her_exemplars():
    session = stressed_session()
    layer = session.state.layer
    turn = session.submit(ADVICE_TURN)
    grade = session.feedback(turn.index)
    assert grade.grader.startswith("offline") and grade.primary == L.ADVICE
    exemplars = session.persona.layers[layer].exemplars
    assert grade.suggestion in [*exemplars.reflection, *exemplars.validation]
    assert turn.fast_grade.suggestion == grade.suggestion


def test_an_llm_style_feedback_grader_keeps_its_suggestion_in_a_session():
    own = graded("advice", grader="llm@grade_v1", suggestion="That sounds like a brutal week, love.")
    session = stressed_session(feedback=FakeGrader(default=own, name="llm@grade_v1"))
    turn = session.submit(ADVICE_TURN)
    assert session.feedback(turn.index, timeout=5).suggestion == own.suggestion
    exemplars = session.persona.layers[0].exemplars
    assert turn.fast_grade.suggestion in [*exemplars.reflection, *exemplars.validation]


@pytest.mark.parametrize("persona", SHIPPED.values(), ids=lambda p: p.id)
def test_every_shipped_exemplar_reads_as_clean_listening_to_the_offline_grader(persona):
    """A learner who types the suggestion should be graded as listening, not as a roadblock."""
    misread = []
    for stage in persona.layers:
        for kind in sorted(LISTENING):
            for reply in stage.exemplars.of(kind):
                grade = fast_grader().grade(GradeRequest(context=stage.lines[0], text=reply))
                if grade.primary not in LISTENING or set(grade.labels) & ROADBLOCKS:
                    misread.append(f"{kind}: {reply} -> {[label.value for label in grade.labels]}")
    assert misread == []
