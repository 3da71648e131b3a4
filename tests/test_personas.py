"""Shipped persona files: they load, stay in step with their schema, and broken files are refused."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from simulator.dynamics import PersonaState, advance, initial_state
from simulator.grades import TurnGrade
from simulator.labels import LISTENING, NEUTRAL, ROADBLOCKS, Label
from simulator.personas import (
    MAX_DEPTH,
    MAX_ID_LENGTH,
    MAX_PERSONA_BYTES,
    PERSONAS_DIR,
    Persona,
    PersonaError,
    load_persona,
    parse_persona,
    persona_files,
    persona_json_schema,
)
from simulator.speaker.base import SpeakerRequest, Utterance
from simulator.speaker.scripted import ScriptedSpeaker
from tests.persona_factory import persona_data

BAD_PERSONAS_DIR = Path(__file__).parent / "data" / "bad_personas"
SCHEMA_FILE = PERSONAS_DIR / "persona.schema.json"
SCHEMA_COMMENT = "# yaml-language-server: $schema=./persona.schema.json"
SHIPPED_IDS = {
    "stressed-partner",
    "frustrated-client",
    "quiet-employee",
    "grieving-friend",
    "defensive-report",
    "anxious-new-hire",
}
SHIPPED_FILES = persona_files()
PROBLEM = re.compile(r"^(?P<source>.+?)(?::(?P<line>\d+))?: (?P<rest>.*)$", re.DOTALL)

# Smallest pools that keep a twelve-turn conversation from repeating itself.
MIN_LAYER_LINES = 4
MIN_LAYER_ANSWERS = 4
MIN_PUSHBACK = 3
MIN_POOLS = {"closed_answers": 4, "neutral": 4, "shutdown": 3, "breakthrough": 2, "closing": 2}

L = Label
LEARNER_HABITS = {
    "reflects": [L.REFLECTION] * 12,
    "validates": [L.VALIDATION] * 12,
    "asks open questions": [L.OPEN_QUESTION] * 12,
    "listens well": [L.REFLECTION, L.OPEN_QUESTION, L.VALIDATION] * 4,
    "asks closed questions": [L.CLOSED_QUESTION] * 12,
    "makes small talk": [L.OTHER] * 12,
    "fixes": [L.ADVICE] * 12,
    "throws every roadblock": [L.ADVICE, L.REASSURANCE, L.JUDGMENT, L.SELF_FOCUS] * 3,
    "mixes it up": [
        Label(word)
        for word in "other closed_question reflection open_question advice validation reflection"
        " open_question reassurance reflection open_question validation".split()
    ],
}


def _by_stem(path: Path) -> str:
    return path.stem


def _spoken_lines(persona: Persona) -> list[str]:
    """Every string the scripted speaker can say for this persona."""
    lines = persona.lines
    spoken = [lines.opening, *lines.closed_answers, *lines.neutral]
    spoken += [*lines.shutdown, *lines.breakthrough, *lines.closing]
    for pool in lines.pushback.values():
        spoken += pool
    for layer in persona.layers:
        spoken += [*layer.lines, *layer.answers]
    return spoken


def _states(persona: Persona, moves: list[Label]) -> list[PersonaState]:
    """The persona's state after each learner move, through the real dynamics."""
    state, states = initial_state(persona), []
    for move in moves:
        state = advance(persona, state, TurnGrade(labels=[move], primary=move, grader="test"))
        states.append(state)
    return states


def _conversation(persona: Persona, moves: list[Label], seed: int) -> list[str]:
    """The scripted speaker's lines, opening first, for a learner making these moves."""
    speaker = ScriptedSpeaker()
    history = [Utterance("persona", speaker.opening(persona))]
    for state in _states(persona, moves):
        history.append(Utterance("learner", f"(a {state.trigger} turn)"))
        request = SpeakerRequest(persona, state, tuple(history), seed=seed)
        history.append(Utterance("persona", "".join(speaker.stream_reply(request))))
    return [u.text for u in history if u.role == "persona"]


def _shipped() -> dict[str, Persona]:
    return {path.stem: load_persona(path) for path in SHIPPED_FILES}


def test_the_six_personas_ship():
    assert {path.stem for path in SHIPPED_FILES} == SHIPPED_IDS


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_shipped_persona_loads(path):
    persona = load_persona(path)
    assert persona.id == path.stem
    assert len(persona.hidden.background) > 200, "background should be a real paragraph"


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_first_line_points_editors_at_the_schema(path):
    assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_COMMENT


def test_shipped_schema_matches_the_model():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == persona_json_schema(), (
        "personas/persona.schema.json is stale: regenerate it (see personas/README.md)"
    )


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_no_line_is_repeated_within_a_persona(path):
    counts = Counter(" ".join(line.casefold().split()) for line in _spoken_lines(load_persona(path)))
    assert [line for line, count in counts.items() if count > 1] == []


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_line_pools_are_deep_enough(path):
    persona = load_persona(path)
    short = [
        f"{name}: {len(getattr(persona.lines, name))}"
        for name, least in MIN_POOLS.items()
        if len(getattr(persona.lines, name)) < least
    ]
    short += [
        f"pushback.{label}: {len(persona.lines.pushback.get(label, []))}"
        for label in ROADBLOCKS
        if len(persona.lines.pushback.get(label, [])) < MIN_PUSHBACK
    ]
    for layer in persona.layers:
        if len(layer.lines) < MIN_LAYER_LINES or len(layer.answers) < MIN_LAYER_ANSWERS:
            short.append(f"layer {layer.name!r}: {len(layer.lines)} lines, {len(layer.answers)} answers")
    assert short == []


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_four_layers_all_open_before_breakthrough(path):
    persona = load_persona(path)
    assert len(persona.layers) == 4
    assert persona.layers[-1].unlock_at < persona.dynamics.breakthrough_at


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_listening_helps_neutral_barely_moves_roadblocks_hurt(path):
    effects = load_persona(path).dynamics.label_effects
    assert min(effects[label] for label in LISTENING) >= 0.08
    assert all(abs(effects[label]) <= 0.02 for label in NEUTRAL)
    assert max(effects[label] for label in ROADBLOCKS) <= -0.08
    assert effects[Label.JUDGMENT] == min(effects.values())


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
@pytest.mark.parametrize("move", sorted(LISTENING))
def test_consistent_listener_breaks_through_within_eight_turns(path, move):
    assert _states(load_persona(path), [move] * 8)[-1].breakthrough


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_good_listener_does_not_break_through_at_once(path):
    states = _states(load_persona(path), LEARNER_HABITS["listens well"])
    assert states[-1].breakthrough_turn is not None
    assert 4 <= states[-1].breakthrough_turn <= 8


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_habitual_fixer_never_breaks_through(path):
    persona = load_persona(path)
    assert not _states(persona, [L.REFLECTION, L.ADVICE] * 6)[-1].breakthrough
    assert not _states(persona, LEARNER_HABITS["fixes"])[-1].breakthrough
    assert _states(persona, [L.ADVICE] * 3)[-1].shutdown


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
@pytest.mark.parametrize("habit", sorted(LEARNER_HABITS))
def test_twelve_turns_never_repeat_a_line(path, habit):
    persona = load_persona(path)
    for seed in range(3):
        said = _conversation(persona, LEARNER_HABITS[habit], seed)
        assert len(said) == 13
        assert [line for line, count in Counter(said).items() if count > 1] == [], f"seed {seed}"


def test_personas_differ_in_what_hurts_most():
    personas = _shipped()
    reassurance = {pid: p.dynamics.label_effects[Label.REASSURANCE] for pid, p in personas.items()}
    judgment = {pid: p.dynamics.label_effects[Label.JUDGMENT] for pid, p in personas.items()}
    assert reassurance["frustrated-client"] == min(reassurance.values())
    assert judgment["quiet-employee"] == min(judgment.values())
    assert personas["quiet-employee"].dynamics.start_openness == min(
        p.dynamics.start_openness for p in personas.values()
    )


BROKEN_FILES = [
    # file name, field named in the message (None: no field), words of the reason, line (None: any)
    ("unknown-field.yaml", "hidden.mood", "Extra inputs are not permitted", 13),
    ("missing-field.yaml", "hidden.core_need", "Field required", 8),
    ("bad-difficulty.yaml", "difficulty", "less than or equal to 3", 7),
    ("openness-out-of-range.yaml", "dynamics.start_openness", "less than or equal to 1", 18),
    ("thresholds-out-of-order.yaml", "dynamics", "shutdown_below < start_openness < breakthrough_at", 17),
    ("label-effects-missing-label.yaml", "dynamics.label_effects", "missing effects for: self_focus", 21),
    ("unknown-label.yaml", "dynamics.label_effects.empathy", "'reflection'", 31),
    ("pushback-missing-roadblock.yaml", "lines.pushback", "pushback lines for: judgment", 44),
    ("layers-not-ascending.yaml", "layers", "unlock_at must strictly increase", 31),
    ("wrong-type.yaml", "lines.closed_answers", "valid list", 49),
    ("invalid-yaml.yaml", None, "not valid YAML", 16),
    ("not-a-mapping.yaml", "(top level)", "expected a mapping", None),
    # load_persona checks the id after parsing and does not look up the id's line.
    ("id-mismatch.yaml", "id", "must match the file name 'id-mismatch'", 3),
]


@pytest.mark.parametrize(("file_name", "field", "reason", "line"), BROKEN_FILES)
def test_broken_file_is_refused_naming_the_field(file_name, field, reason, line):
    path = BAD_PERSONAS_DIR / file_name
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert caught.value.path == str(path)
    assert len(caught.value.problems) == 1, caught.value.problems
    problem = PROBLEM.match(caught.value.problems[0])
    assert problem, caught.value.problems[0]
    assert problem["source"] == str(path)
    if line is not None:
        assert problem["line"] == str(line)
    named = problem["rest"].partition(": ")[0]
    if field is not None:
        assert named == field or named.startswith(field + ".")
    assert reason in problem["rest"]


def test_every_broken_fixture_is_checked():
    on_disk = {path.name for path in BAD_PERSONAS_DIR.glob("*.yaml")}
    assert on_disk == {file_name for file_name, *_ in BROKEN_FILES}
    assert len(on_disk) >= 8


def persona_file(folder: Path, **overrides) -> Path:
    """A persona YAML file named after its id."""
    data = persona_data(**overrides)
    path = folder / f"{data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def nested(levels: int) -> str:
    """A YAML flow list nested `levels` deep."""
    return "[" * levels + "x" + "]" * levels


def only_problem(caught) -> str:
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


def test_a_persona_file_over_the_size_limit_is_refused(tmp_path):
    big = persona_file(tmp_path, id="big", hidden=persona_data()["hidden"] | {"background": "a" * 300_000})
    with pytest.raises(PersonaError) as caught:
        load_persona(big)
    size = big.stat().st_size
    assert only_problem(caught) == (
        f"{big}: (file): {size:,} bytes is over the limit of 256 KB for a persona; shorten it"
    )


def test_a_persona_just_under_the_size_limit_loads(tmp_path):
    background = "a" * (MAX_PERSONA_BYTES - 4_000)
    path = persona_file(tmp_path, id="roomy", hidden=persona_data()["hidden"] | {"background": background})
    assert path.stat().st_size <= MAX_PERSONA_BYTES
    assert load_persona(path).hidden.background == background


def test_text_over_the_size_limit_is_refused_before_it_is_parsed():
    with pytest.raises(PersonaError, match="over the limit of 256 KB"):
        parse_persona("id: x\n" + "#" * MAX_PERSONA_BYTES, "pasted.yaml")


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 500, 5_000])
def test_yaml_nested_too_deep_is_refused_with_its_line(tmp_path, levels):
    path = tmp_path / "deep.yaml"
    path.write_text(f"id: deep\ntitle: {nested(levels)}\n", encoding="utf-8")
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert only_problem(caught) == f"{path}:2: too deep: nested deeper than {MAX_DEPTH} levels"


def test_block_style_nesting_is_bounded_too():
    text = "".join(f"{'  ' * level}k{level}:\n" for level in range(300)) + "  " * 300 + "v\n"
    with pytest.raises(PersonaError, match="too deep"):
        parse_persona(text, "deep.yaml")


def test_nesting_up_to_the_limit_is_only_a_wrong_type():
    with pytest.raises(PersonaError) as caught:
        parse_persona(yaml.safe_dump(persona_data() | {"title": yaml.safe_load(nested(MAX_DEPTH - 1))}))
    assert ": title: Input should be a valid string" in only_problem(caught)


def test_an_id_longer_than_the_limit_is_refused():
    long_id = "-".join(["word"] * 60)
    with pytest.raises(PersonaError) as caught:
        parse_persona(yaml.safe_dump(persona_data(id=long_id)), "long.yaml")
    assert f"id: String should have at most {MAX_ID_LENGTH} characters" in only_problem(caught)
    assert parse_persona(yaml.safe_dump(persona_data(id="a" * MAX_ID_LENGTH))).id == "a" * MAX_ID_LENGTH


def test_a_persona_file_that_is_not_utf8_names_the_line(tmp_path):
    path = persona_file(tmp_path, id="latin", title="Caf\u00e9 owner")
    path.write_bytes(path.read_bytes().replace("é".encode(), b"\xe9"))
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert only_problem(caught) == (
        f"{path}:2: not UTF-8 text: byte 0xe9 at column 11; save the file as UTF-8"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-02-30", "day is out of range for month"),
        ("!!timestamp", "cannot build a tag:yaml.org,2002:timestamp value here"),
        ("!!float", "cannot build a tag:yaml.org,2002:float value here"),
        ("\x00", "the character U+0000 is not allowed in YAML"),
    ],
)
def test_a_value_yaml_cannot_build_is_a_yaml_problem_with_its_line(value, reason):
    with pytest.raises(PersonaError) as caught:
        parse_persona(f"id: x\ntitle: {value}\n", "not-valid.yaml")
    assert only_problem(caught) == f"not-valid.yaml:2: not valid YAML: {reason}"


def test_thousands_of_problems_are_summed_up():
    style = {"voice": "tired and clipped", "traits": [[1]] * 5_000}
    with pytest.raises(PersonaError) as caught:
        parse_persona(yaml.safe_dump(persona_data(style=style)), "many.yaml")
    assert len(caught.value.problems) == 51
    assert caught.value.problems[-1] == "many.yaml: (top level): 4950 more problem(s)"


EXEMPLARS = {
    "reflection": ["It sounds like the week has worn you down.", "So the dishes are the last straw tonight."],
    "validation": ["Of course you're tired after all that.", "Anyone would be fed up by now."],
    "open_question": ["What's been the hardest part?", "What's tonight been like for you?"],
}


def coached_data(**changes) -> dict:
    """Factory persona data with exemplars on every layer; `changes` replace kinds of layer 0's."""
    data = persona_data()
    for stage in data["layers"]:
        stage["exemplars"] = {kind: list(replies) for kind, replies in EXEMPLARS.items()}
    data["layers"][0]["exemplars"].update(changes)
    return data


def exemplar_problem(data: dict) -> tuple[str, str]:
    """(the only problem's text, the dumped YAML) of persona data that must be refused."""
    text = yaml.safe_dump(data, sort_keys=False, width=1000)
    with pytest.raises(PersonaError) as caught:
        parse_persona(text, "coached.yaml")
    return only_problem(caught), text


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_shipped_personas_carry_exemplars_for_every_layer(path):
    persona = load_persona(path)
    assert persona.has_exemplars
    for stage in persona.layers:
        assert all(len(stage.exemplars.of(kind)) >= 2 for kind in LISTENING), stage.name


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=_by_stem)
def test_exemplars_are_not_repeated_and_are_not_the_persona_lines(path):
    persona = load_persona(path)
    replies = [reply for stage in persona.layers for kind in LISTENING for reply in stage.exemplars.of(kind)]
    assert [reply for reply, count in Counter(replies).items() if count > 1] == []
    assert set(replies) & set(_spoken_lines(persona)) == set()


def test_a_persona_with_exemplars_on_every_layer_loads():
    persona = parse_persona(yaml.safe_dump(coached_data()), "coached.yaml")
    assert persona.has_exemplars
    assert persona.layers[2].exemplars.of(Label.OPEN_QUESTION) == EXEMPLARS["open_question"]
    assert persona.layers[2].exemplars.of(Label.ADVICE) == []


def test_a_persona_without_exemplars_still_loads():
    assert not parse_persona(yaml.safe_dump(persona_data()), "plain.yaml").has_exemplars


def test_a_layer_missing_its_exemplars_is_named():
    data = coached_data()
    del data["layers"][2]["exemplars"]
    problem, text = exemplar_problem(data)
    assert problem == (
        f"coached.yaml:{line_of(text, 'layers:')}: layers: Value error, some layers have exemplars, "
        "so every layer needs them; missing: 2 ('feeling')"
    )


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"reflection": ["It sounds like a long week.", ""]}, "reflection.1", "at least 10 characters"),
        ({"reflection": ["   ", "It sounds like a long week."]}, "reflection.0", "at least 10 characters"),
        ({"validation": ["That makes sense."]}, "validation", "at least 2 items"),
        (
            {"validation": ["That makes sense. " * 20, "Of course you're tired."]},
            "validation.0",
            "at most 240",
        ),
        ({"empathy": ["I feel for you, honestly."]}, "empathy", "Extra inputs are not permitted"),
        (
            {"reflection": ["It sounds like you feel ...", "So it's been a lot."]},
            "reflection.0",
            "not a template",
        ),
        (
            {"reflection": ["So you feel [feeling] today.", "So it's been a lot."]},
            "reflection.0",
            "not a template",
        ),
        ({"open_question": ["Tell me more about it.", "What happened?"]}, "open_question", "ends with '?'"),
        (
            {"validation": ["Isn't that understandable?", "Of course you're tired."]},
            "validation",
            "not a question",
        ),
        (
            {"validation": ["It sounds like the week has worn you down.", "Of course you're tired."]},
            "(top level)",
            "appears twice",
        ),
    ],
)
def test_a_bad_exemplar_is_refused_naming_file_line_and_field(changes, field, reason):
    problem, text = exemplar_problem(coached_data(**changes))
    found = PROBLEM.match(problem)
    named, _, rest = found["rest"].partition(": ")
    assert found["source"] == "coached.yaml"
    assert named == "layers.0.exemplars" + ("" if field == "(top level)" else "." + field), problem
    assert reason in rest
    assert int(found["line"]) == exemplar_line(text, field)


def exemplar_line(text: str, field: str) -> int:
    """The line of layer 0's exemplars, of one kind there, or of one item of a kind (one a line)."""
    lines = text.splitlines()
    start = line_of(text, "exemplars:")
    if field == "(top level)":
        return start
    kind, _, item = field.partition(".")
    key = start + next(n for n, line in enumerate(lines[start:], 1) if line.strip() == f"{kind}:")
    return key + int(item) + 1 if item else key
