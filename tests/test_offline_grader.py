"""The shipped offline grader: protocol, artifact, speed, and the hard cases from the issue."""

import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from simulator.grader.base import Grader, GradeRequest
from simulator.grader.features import FeatureConfig, Vectoriser, is_char_gram, turn_features
from simulator.grader.offline import (
    ARTIFACT_NAME,
    MODEL_ENV,
    load_artifact,
    load_offline_grader,
    roadblock_first,
)
from simulator.grader.rubric import hint_for, rationale_for, score_turn
from simulator.labels import Label

L = Label
CONTEXT = "My manager keeps piling work on me and I'm staying until nine every night."


@pytest.fixture(scope="module")
def grader():
    return load_offline_grader()


def graded(grader, text: str, context: str = CONTEXT):
    return grader.grade(GradeRequest(context=context, text=text))


def test_it_is_a_grader_with_a_versioned_name(grader):
    assert isinstance(grader, Grader)
    assert grader.name.startswith("offline@") and len(grader.name) > len("offline@")


def test_artifact_is_small_and_loads_without_pickle():
    from importlib import resources

    shipped = resources.files("simulator.grader") / "model" / ARTIFACT_NAME
    assert shipped.is_file() and len(shipped.read_bytes()) < 20 * 1024 * 1024
    with np.load(str(shipped), allow_pickle=False) as data:
        assert {"meta", "vocabulary", "idf", "weights", "bias", "thresholds"} <= set(data.files)


def test_loads_in_under_a_second():
    started = time.perf_counter()
    load_artifact()
    assert time.perf_counter() - started < 1.0


CASES = [
    # (text, expected primary) — the hard cases first, then variants of each
    ("Sounds exhausting. You should quit.", L.ADVICE),
    ("That sounds like a lot. Maybe just tell him no next time.", L.ADVICE),
    ("Have you tried meditating?", L.ADVICE),
    ("Have you thought about asking HR to step in?", L.ADVICE),
    ("Why would you even do that?", L.JUDGMENT),
    ("Why would you agree to that in the first place?", L.JUDGMENT),
    ("At least you still have a job", L.REASSURANCE),
    ("Look on the bright side, at least you're getting overtime.", L.REASSURANCE),
    ("Mm-hmm.", L.OTHER),
    ("Okay.", L.OTHER),
    ("Right.", L.OTHER),
    # listening written elsewhere: everyday validation, terse echoes, greetings, advice after listening
    ("I hear you.", L.VALIDATION),
    ("That's so hard.", L.VALIDATION),
    ("Exhausted...", L.REFLECTION),
    ("Running on empty.", L.REFLECTION),
    ("hi how are you", L.OTHER),
    ("Morning! How's it going?", L.OTHER),
    ("Hey, how was your weekend?", L.OTHER),
    ("I hear you. You should speak to your union rep.", L.ADVICE),
    ("That sounds rough. Just tell him no.", L.ADVICE),
    ("It'll all work out, don't worry.", L.REASSURANCE),
    ("You're overreacting.", L.JUDGMENT),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_hard_cases_get_the_right_primary(grader, text, expected):
    grade = graded(grader, text)
    assert grade.primary == expected, f"{text!r}: {grade.labels} primary {grade.primary}"
    assert expected in grade.labels


@pytest.mark.parametrize(
    "text",
    [
        "It sounds like you're running on empty. What's been the hardest part of it?",
        "So you feel like nobody notices how much you're carrying. What would help most right now?",
    ],
)
def test_multi_sentence_turns_that_reflect_and_ask_get_both_labels(grader, text):
    grade = graded(grader, text)
    assert {L.REFLECTION, L.OPEN_QUESTION} <= set(grade.labels), grade.labels


def test_a_plain_reflection_scores_high_and_advice_low(grader):
    reflection = graded(grader, "It sounds like you feel trapped and taken for granted.")
    advice = graded(grader, "You should update your CV and start applying somewhere else.")
    assert reflection.primary == L.REFLECTION and advice.primary == L.ADVICE
    assert reflection.score >= 4 and advice.score < 3 and advice.suggestion


def test_grade_many_keeps_order_and_matches_single_grades(grader):
    texts = [
        "Okay.",
        "Have you tried meditating?",
        "Why would you even do that?",
        "At least you still have a job",
    ]
    many = grader.grade_many([GradeRequest(context=CONTEXT, text=t) for t in texts])
    assert [g.primary for g in many] == [graded(grader, t).primary for t in texts]
    assert grader.grade_many([]) == []


def test_vectoriser_counts_exactly_the_training_features():
    config = FeatureConfig(char_weight=0.5)
    pairs = [("I can't sleep.", "That sounds awful. Have you tried melatonin?"), ("", "Mm-hmm.")]
    documents = [turn_features(c, t, config) for c, t in pairs]
    terms = sorted({f for d in documents for f in d})
    vocabulary = {term: i for i, term in enumerate(terms)}
    idf = np.ones(len(vocabulary))
    indptr, indices, values = Vectoriser(vocabulary, idf, config).transform(pairs)
    for row, document in enumerate(documents):
        counts = Counter(vocabulary[f] for f in document)
        got = dict(
            zip(
                indices[indptr[row] : indptr[row + 1]].tolist(),
                values[indptr[row] : indptr[row + 1]].tolist(),
                strict=True,
            )
        )
        expected = {k: 1 + np.log(v) for k, v in counts.items()}
        assert got.keys() == expected.keys()
        for is_char, weight in ((False, 1.0), (True, 0.5)):
            block = {k: v for k, v in expected.items() if is_char_gram(terms[k]) == is_char}
            norm = np.sqrt(sum(v * v for v in block.values()))
            assert all(abs(got[k] - weight * v / norm) < 1e-6 for k, v in block.items())


def test_rubric_scores_listening_high_roadblocks_low_and_mixes_between():
    assert score_turn([L.REFLECTION, L.OPEN_QUESTION], L.REFLECTION) == 5.0
    assert score_turn([L.OTHER], L.OTHER) == 3.0
    assert score_turn([L.JUDGMENT], L.JUDGMENT) == 1.0
    assert score_turn([L.ADVICE, L.REFLECTION], L.ADVICE) > score_turn([L.ADVICE], L.ADVICE)
    assert score_turn([L.REFLECTION, L.ADVICE], L.REFLECTION) < score_turn([L.REFLECTION], L.REFLECTION)


def test_rationale_is_plain_words_and_hint_only_when_needed():
    text = rationale_for([L.ADVICE, L.REFLECTION], L.ADVICE)
    assert text.startswith("Fixing") and "reflection" in text
    assert hint_for([L.REFLECTION], L.REFLECTION) is None and hint_for([L.ADVICE], L.ADVICE)


def test_roadblock_rule_makes_a_present_roadblock_primary():
    labels = (L.REFLECTION, L.ADVICE)
    assert roadblock_first([L.REFLECTION, L.ADVICE], L.REFLECTION, [0.9, 0.6], labels) == L.ADVICE
    assert roadblock_first([L.REFLECTION], L.REFLECTION, [0.9, 0.1], labels) == L.REFLECTION


def _tiny_data(folder):
    import json

    moves = {
        "reflection": "It sounds like you feel {}.",
        "advice": "You should try {}.",
        "open_question": "What is {} like for you?",
        "other": "Okay.",
    }
    topics = ["tired", "lonely", "stuck", "angry", "worried", "lost", "sad", "restless"]
    annomi, authored = [], []
    for t, topic in enumerate(topics):
        for u, (label, pattern) in enumerate(moves.items()):
            row = {
                "context": f"I feel {topic} at work.",
                "text": pattern.format(topic),
                "labels": [label],
                "primary": label,
            }
            annomi.append(json.dumps({"id": f"annomi-t{t:03d}-u{u:04d}", **row}))
            authored.append(json.dumps({"id": f"x-{t}-{u}", **row, "context": f"Story {t}-{u}: {topic}."}))
    (folder / "annomi.jsonl").write_text("\n".join(annomi) + "\n")
    (folder / "authored_x.jsonl").write_text("\n".join(authored) + "\n")


def test_training_is_reproducible_and_writes_a_loadable_artifact(tmp_path):
    from evals.train import train

    _tiny_data(tmp_path)
    first = train(data_dir=tmp_path, model_dir=tmp_path / "m1", results=tmp_path / "r1.json", quick=True)
    second = train(data_dir=tmp_path, model_dir=tmp_path / "m2", results=tmp_path / "r2.json", quick=True)
    assert first["version"] == second["version"]
    assert (tmp_path / "m1" / ARTIFACT_NAME).read_bytes() == (tmp_path / "m2" / ARTIFACT_NAME).read_bytes()
    grader = load_offline_grader(tmp_path / "m1" / ARTIFACT_NAME)
    assert grader.name == f"offline@{first['version']}"
    assert grader.grade(GradeRequest(context="I feel tired.", text="Okay.")).ok


STABLE_TURNS = [
    ("That sounds like a long day.", {Label.REFLECTION, Label.VALIDATION}),
    ("That sounds exhausting.", {Label.REFLECTION, Label.VALIDATION}),
    ("It sounds like you feel invisible at home.", {Label.REFLECTION}),
    ("What's been the hardest part?", {Label.OPEN_QUESTION}),
    ("You should just go to bed.", {Label.ADVICE}),
    ("At least you still have a job.", {Label.REASSURANCE}),
    ("That happened to me once, I just quit on the spot.", {Label.SELF_FOCUS}),
]
CONTEXTS = [
    "",
    "Work has been awful lately.",
    "Hi. You wanted to check in? That's fine. I've got about half an hour.",
    "Don't, sorry. I've been in the door five minutes and the bins haven't gone out. Again.",
]


@pytest.mark.parametrize(("text", "allowed"), STABLE_TURNS)
def test_clear_turns_keep_their_kind_whatever_the_speaker_said(grader, text, allowed):
    primaries = {grader.grade(GradeRequest(context=context, text=text)).primary for context in CONTEXTS}
    assert primaries <= allowed, f"{text!r} graded {primaries} across contexts"


BASELINE = Path(__file__).resolve().parents[1] / "evals" / "baseline" / "offline_grader_1.56d6217e.npz"


def test_an_artifact_made_before_cues_and_guard_loads_with_both_off():
    old = load_artifact(BASELINE)
    assert old.config.cues is False and old.guard is False
    assert load_artifact().guard is True and load_artifact().config.cues is True


def test_the_environment_can_name_another_artifact(monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(BASELINE))
    assert load_offline_grader().name == "offline@1.56d6217e"
    monkeypatch.delenv(MODEL_ENV)
    assert load_offline_grader().name != "offline@1.56d6217e"
