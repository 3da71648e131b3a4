"""Persona model (Pydantic, extra="forbid") and loading/validating persona YAML files."""

import json
import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.files import FileProblem, utf8_text
from simulator.labels import LISTENING, ROADBLOCKS, Label

PERSONAS_DIR = Path(__file__).resolve().parent / "data" / "personas"
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_ID_LENGTH = 64  # the id is the file name of a saved persona
MAX_PERSONA_BYTES = 256 * 1024
MAX_DEPTH = 20  # a persona nests five levels; far deeper YAML is refused before it is built
MAX_PROBLEMS = 50
# What PyYAML's safe constructors raise for a value they cannot build (besides its own errors).
BUILD_ERRORS = (ValueError, TypeError, AttributeError, LookupError, ArithmeticError)
Line = Annotated[str, Field(min_length=1)]
MIN_EXEMPLAR_CHARS = 10
MAX_EXEMPLAR_CHARS = 240
MAX_EXEMPLARS = 12  # per kind and layer
# A blank to fill in ("It sounds like ..."), a placeholder ("[feeling]", "<name>") or "___".
BLANK = re.compile(r"\.\.\.|\u2026|__|[\[\]{}<>]")


def _a_reply(text: str) -> str:
    if BLANK.search(text):
        raise ValueError("an exemplar is a whole reply, not a template: no '...', '___' or brackets")
    return text


Exemplar = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=MIN_EXEMPLAR_CHARS, max_length=MAX_EXEMPLAR_CHARS),
    AfterValidator(_a_reply),
]
ExemplarPool = Annotated[list[Exemplar], Field(min_length=2, max_length=MAX_EXEMPLARS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HiddenState(Strict):
    """What only the speaker knows."""

    background: str = Field(min_length=20)
    surface_concern: str = Field(min_length=5)
    underlying_feelings: list[Line] = Field(min_length=1)
    core_need: str = Field(min_length=5)


class SpeakingStyle(Strict):
    """How the persona talks."""

    voice: str = Field(min_length=5, description="A sentence on tone and register.")
    verbosity: Literal["terse", "medium", "chatty"] = "medium"
    traits: list[str] = Field(default_factory=list)


class Dynamics(Strict):
    """How listening moves change the persona's openness (0 closed .. 1 fully open)."""

    start_openness: float = Field(ge=0, le=1)
    label_effects: dict[Label, float]
    shutdown_below: float = Field(ge=0, le=1)
    breakthrough_at: float = Field(ge=0, le=1)

    @field_validator("label_effects")
    @classmethod
    def _every_label_has_an_effect(cls, effects: dict[Label, float]) -> dict[Label, float]:
        missing = [label.value for label in Label if label not in effects]
        if missing:
            raise ValueError(f"missing effects for: {', '.join(missing)}")
        for label, value in effects.items():
            if not -1 <= value <= 1:
                raise ValueError(f"effect of {label.value} must be between -1 and 1, got {value}")
        return effects

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> "Dynamics":
        if not self.shutdown_below < self.start_openness < self.breakthrough_at:
            raise ValueError("need shutdown_below < start_openness < breakthrough_at")
        return self


class Exemplars(Strict):
    """Skilled listening replies to one layer's lines, in the learner's voice, shown as suggestions."""

    reflection: ExemplarPool = Field(description="Puts what they said or feel into other words.")
    validation: ExemplarPool = Field(description="Accepts the feeling as real and understandable.")
    open_question: ExemplarPool = Field(description="A curious question that invites them to say more.")

    @field_validator("reflection", "validation")
    @classmethod
    def _statements(cls, replies: list[str]) -> list[str]:
        questions = [reply for reply in replies if reply.endswith("?")]
        if questions:
            raise ValueError(
                f"a statement, not a question (that belongs under open_question): {questions[0]!r}"
            )
        return replies

    @field_validator("open_question")
    @classmethod
    def _questions(cls, replies: list[str]) -> list[str]:
        statements = [reply for reply in replies if not reply.endswith("?")]
        if statements:
            raise ValueError(f"an open question ends with '?': {statements[0]!r}")
        return replies

    @model_validator(mode="after")
    def _each_reply_once(self) -> "Exemplars":
        replies = [*self.reflection, *self.validation, *self.open_question]
        repeated = sorted({reply for reply in replies if replies.count(reply) > 1})
        if repeated:
            raise ValueError(f"an exemplar appears twice: {repeated[0]!r}")
        return self

    def of(self, kind: Label) -> list[str]:
        """The replies of one listening kind (none for a label that is not one)."""
        return list(getattr(self, kind.value, []) if kind in LISTENING else [])


class DisclosureLayer(Strict):
    """One layer of what the persona reveals once openness reaches `unlock_at`."""

    name: str = Field(min_length=1)
    unlock_at: float = Field(ge=0, le=1)
    disclosure: str = Field(min_length=10, description="What the persona is ready to reveal here.")
    lines: list[Line] = Field(min_length=2, description="Said after a reflection or validation.")
    answers: list[Line] = Field(min_length=2, description="Said after an open question.")
    exemplars: Exemplars | None = Field(
        default=None,
        description="Better replies to this layer's lines, shown to the learner after a missed move.",
    )


class AuthoredLines(Strict):
    """Lines for the scripted speaker outside the disclosure layers."""

    opening: str = Field(min_length=5)
    pushback: dict[Label, list[Line]]
    closed_answers: list[Line] = Field(min_length=2)
    neutral: list[Line] = Field(min_length=2)
    shutdown: list[Line] = Field(min_length=2)
    breakthrough: list[Line] = Field(min_length=1)
    closing: list[Line] = Field(min_length=1)

    @field_validator("pushback")
    @classmethod
    def _pushback_per_roadblock(cls, pushback: dict[Label, list[Line]]) -> dict[Label, list[Line]]:
        missing = sorted(label.value for label in ROADBLOCKS if len(pushback.get(label, [])) < 2)
        extra = sorted(label.value for label in pushback if label not in ROADBLOCKS)
        if extra:
            raise ValueError(f"pushback is only for roadblocks, not: {', '.join(extra)}")
        if missing:
            raise ValueError(f"need at least two pushback lines for: {', '.join(missing)}")
        return pushback


class Persona(Strict):
    """A simulated person the learner practises with."""

    id: str = Field(pattern=ID_PATTERN, max_length=MAX_ID_LENGTH)
    title: str = Field(min_length=3)
    situation: str = Field(min_length=20, description="What the learner is told.")
    learner_goal: str = Field(min_length=10)
    difficulty: int = Field(ge=1, le=3)
    hidden: HiddenState
    style: SpeakingStyle
    dynamics: Dynamics
    layers: list[DisclosureLayer] = Field(min_length=2)
    lines: AuthoredLines

    @field_validator("layers")
    @classmethod
    def _layers_ascending(cls, layers: list[DisclosureLayer]) -> list[DisclosureLayer]:
        thresholds = [layer.unlock_at for layer in layers]
        if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
            raise ValueError("unlock_at must strictly increase from one layer to the next")
        if thresholds[0] != 0:
            raise ValueError("the first layer must unlock at 0")
        return layers

    @field_validator("layers")
    @classmethod
    def _exemplars_for_every_layer_or_none(cls, layers: list[DisclosureLayer]) -> list[DisclosureLayer]:
        missing = [f"{i} ({layer.name!r})" for i, layer in enumerate(layers) if layer.exemplars is None]
        if missing and len(missing) < len(layers):
            raise ValueError(
                f"some layers have exemplars, so every layer needs them; missing: {', '.join(missing)}"
            )
        return layers

    @property
    def has_exemplars(self) -> bool:
        """True when every layer carries exemplar replies (shipped personas always do)."""
        return all(layer.exemplars is not None for layer in self.layers)


class PersonaError(ValueError):
    """A persona file that cannot be used; `problems` are 'file:line: field: reason' lines."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(problems))


def _node_line(root: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the YAML node at a Pydantic error location, or the nearest parent."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for key in loc:
        pair = None
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            pair = (node.value[key], node.value[key])
        if pair is None:
            break
        node, line = pair[1], pair[0].start_mark.line + 1
    return line


def _describe(errors: ValidationError, source: str, root: yaml.Node | None) -> list[str]:
    problems = []
    for err in errors.errors()[:MAX_PROBLEMS]:
        field = ".".join(str(part) for part in err["loc"]) or "(top level)"
        line = _node_line(root, err["loc"])
        where = f"{source}:{line}" if line else source
        problems.append(f"{where}: {field}: {err['msg']}")
    if errors.error_count() > MAX_PROBLEMS:
        problems.append(f"{source}: (top level): {errors.error_count() - MAX_PROBLEMS} more problem(s)")
    return problems


class TooDeep(yaml.YAMLError):
    """YAML nested deeper than a persona can be."""

    def __init__(self, mark: yaml.Mark):
        super().__init__(f"nested deeper than {MAX_DEPTH} levels")
        self.problem_mark = mark


class BoundedLoader(yaml.SafeLoader):
    """The safe YAML loader, refusing nesting deeper than MAX_DEPTH before it builds anything, and
    naming the line of a value it cannot build (a date like 2024-02-30, an empty !!timestamp)."""

    depth = 0

    def compose_node(self, parent, index):
        nests = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        self.depth += nests
        try:
            if self.depth > MAX_DEPTH:
                raise TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= nests

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except BUILD_ERRORS as exc:  # e.g. an empty !!timestamp or !!float
            reason = str(exc) if isinstance(exc, ValueError) else f"cannot build a {node.tag} value here"
            raise yaml.constructor.ConstructorError(None, None, reason, node.start_mark) from exc


def size_problem(size: int, source: str) -> str | None:
    """Why a persona of this many bytes is refused, if it is."""
    if size <= MAX_PERSONA_BYTES:
        return None
    limit = f"{MAX_PERSONA_BYTES // 1024} KB"
    return f"{source}: (file): {size:,} bytes is over the limit of {limit} for a persona; shorten it"


def read_yaml(text: str, source: str) -> tuple[yaml.Node | None, object]:
    """(node tree for line numbers, Python data) of YAML text, or PersonaError with the line."""
    problem = size_problem(len(text.encode("utf-8", "surrogatepass")), source)
    if problem:
        raise PersonaError(source, [problem])
    try:
        loader = BoundedLoader(text)  # refuses characters YAML does not allow (NUL, ...) at once
        try:
            root = loader.get_single_node()
            return root, loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_problem(exc, text, source) from exc


def yaml_problem(error: yaml.YAMLError, text: str, source: str) -> "PersonaError":
    """The PersonaError of YAML that cannot be read, with its line when known."""
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        reason = f"the character U+{error.character:04X} is not allowed in YAML"
        return PersonaError(source, [f"{source}:{line}: not valid YAML: {reason}"])
    mark = getattr(error, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark else source
    label = "too deep" if isinstance(error, TooDeep) else "not valid YAML"
    return PersonaError(source, [f"{where}: {label}: {getattr(error, 'problem', None) or error}"])


def validated(root: yaml.Node | None, data: object, source: str) -> Persona:
    """The Persona of loaded YAML data, or PersonaError with file:line: field: reason."""
    if not isinstance(data, dict):
        raise PersonaError(source, [f"{source}: (top level): expected a mapping of persona fields"])
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(source, _describe(exc, source, root)) from exc


def parse_persona(text: str, source: str = "<persona>") -> Persona:
    """Validate YAML text as a Persona, raising PersonaError with file:line: field: reason."""
    return validated(*read_yaml(text, source), source)


def persona_text(data: bytes, source: str) -> str:
    """The text of persona bytes (a file or an upload), or PersonaError: too large, or not UTF-8."""
    problem = size_problem(len(data), source)
    if problem:
        raise PersonaError(source, [problem])
    try:
        return utf8_text(data, source)
    except FileProblem as exc:
        raise PersonaError(source, [str(exc)]) from exc


def read_persona_bytes(path: Path) -> bytes:
    """A persona file's bytes, or PersonaError when it cannot be read or is over the size limit (a
    large file is not read beyond the limit)."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_PERSONA_BYTES + 1)
            size = os.fstat(stream.fileno()).st_size if len(data) > MAX_PERSONA_BYTES else len(data)
    except OSError as exc:
        raise PersonaError(path, [f"{path}: cannot read: {exc.strerror or exc}"]) from exc
    problem = size_problem(max(size, len(data)), str(path))
    if problem:
        raise PersonaError(path, [problem])
    return data


def load_persona(path: Path | str) -> Persona:
    """Load and validate one persona YAML file; the id must match the file name."""
    path = Path(path)
    root, data = read_yaml(persona_text(read_persona_bytes(path), str(path)), str(path))
    persona = validated(root, data, str(path))
    if persona.id != path.stem:
        line = _node_line(root, ("id",))
        raise PersonaError(
            path,
            [f"{path}:{line}: id: '{persona.id}' must match the file name '{path.stem}'"],
        )
    return persona


def persona_files(directory: Path | str = PERSONAS_DIR) -> list[Path]:
    """The persona YAML files in a folder, sorted by name."""
    return sorted(Path(directory).glob("*.yaml"))


def load_personas(directory: Path | str = PERSONAS_DIR) -> dict[str, Persona]:
    """Load every persona in a folder, keyed by id (raises on the first bad file)."""
    return {persona.id: persona for persona in map(load_persona, persona_files(directory))}


def persona_json_schema() -> str:
    """The JSON schema of persona files, for editors."""
    schema = Persona.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "listenlab persona"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
