"""Persona model (Pydantic, extra="forbid") and loading/validating persona YAML files."""

import json
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.labels import ROADBLOCKS, Label

PERSONAS_DIR = Path(__file__).resolve().parent / "data" / "personas"
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Line = Annotated[str, Field(min_length=1)]


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


class DisclosureLayer(Strict):
    """One layer of what the persona reveals once openness reaches `unlock_at`."""

    name: str = Field(min_length=1)
    unlock_at: float = Field(ge=0, le=1)
    disclosure: str = Field(min_length=10, description="What the persona is ready to reveal here.")
    lines: list[Line] = Field(min_length=2, description="Said after a reflection or validation.")
    answers: list[Line] = Field(min_length=2, description="Said after an open question.")


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

    id: str = Field(pattern=ID_PATTERN)
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
    for err in errors.errors():
        field = ".".join(str(part) for part in err["loc"]) or "(top level)"
        line = _node_line(root, err["loc"])
        where = f"{source}:{line}" if line else source
        problems.append(f"{where}: {field}: {err['msg']}")
    return problems


def parse_persona(text: str, source: str = "<persona>") -> Persona:
    """Validate YAML text as a Persona, raising PersonaError with file:line: field: reason."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise PersonaError(source, [f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if not isinstance(data, dict):
        raise PersonaError(source, [f"{source}: (top level): expected a mapping of persona fields"])
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(source, _describe(exc, source, root)) from exc


def load_persona(path: Path | str) -> Persona:
    """Load and validate one persona YAML file; the id must match the file name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonaError(path, [f"{path}: cannot read: {exc}"]) from exc
    persona = parse_persona(text, str(path))
    if persona.id != path.stem:
        line = _node_line(yaml.compose(text), ("id",))
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
