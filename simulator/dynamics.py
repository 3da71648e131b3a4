"""Pure functions: a grade moves openness, unlocks layers, ends in shutdown or breakthrough."""

from dataclasses import dataclass, replace
from typing import Literal

from simulator.grades import TurnGrade
from simulator.labels import LISTENING, ROADBLOCKS, Label
from simulator.personas import Dynamics, Persona

SECONDARY_WEIGHT = 0.5
RECOVERY_DAMPING = 0.5

Reaction = Literal[
    "opening",
    "deeper",
    "answer",
    "closed_answer",
    "neutral",
    "pushback",
    "shutdown",
    "breakthrough",
]


@dataclass(frozen=True)
class PersonaState:
    """The hidden state of the persona after some number of learner turns."""

    openness: float
    layer: int = 0
    turn: int = 0
    shutdown: bool = False
    breakthrough: bool = False
    breakthrough_turn: int | None = None
    reaction: Reaction = "opening"
    trigger: Label | None = None


def initial_state(persona: Persona) -> PersonaState:
    """The state before the learner has said anything."""
    return PersonaState(openness=persona.dynamics.start_openness)


def openness_delta(dynamics: Dynamics, grade: TurnGrade) -> float:
    """The primary's effect, plus half of each other label's that pulls the other way.

    A reflection softens advice, and advice spoils a reflection; two roadblocks in one sentence
    ("You should just...") are one move, so same-direction labels do not stack.
    """
    if not grade.ok or grade.primary is None:
        return 0.0
    effects = dynamics.label_effects
    main = effects[grade.primary]
    others = [effects[label] for label in set(grade.labels) if label != grade.primary]
    return main + SECONDARY_WEIGHT * sum(value for value in others if value * main < 0)


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """Keep a value within [low, high]."""
    return max(low, min(high, value))


def layer_for(persona: Persona, openness: float) -> int:
    """Index of the deepest disclosure layer unlocked at this openness."""
    unlocked = [i for i, layer in enumerate(persona.layers) if openness >= layer.unlock_at]
    return unlocked[-1] if unlocked else 0


def reaction_for(grade: TurnGrade, was_shutdown: bool, shutdown: bool, new_breakthrough: bool) -> Reaction:
    """Which kind of reply the persona gives: a roadblock first meets pushback, then withdrawal."""
    primary = grade.primary if grade.ok else None
    if new_breakthrough:
        return "breakthrough"
    if primary in ROADBLOCKS:
        return "shutdown" if was_shutdown else "pushback"
    if shutdown:
        return "shutdown"
    if primary == Label.OPEN_QUESTION:
        return "answer"
    if primary in LISTENING:
        return "deeper"
    if primary == Label.CLOSED_QUESTION:
        return "closed_answer"
    return "neutral"


def advance(persona: Persona, state: PersonaState, grade: TurnGrade) -> PersonaState:
    """The state after one graded learner turn."""
    delta = openness_delta(persona.dynamics, grade)
    if state.shutdown and delta > 0:
        delta *= RECOVERY_DAMPING
    openness = clamp(state.openness + delta)
    turn = state.turn + 1
    shutdown = openness <= persona.dynamics.shutdown_below
    layer = layer_for(persona, openness)
    reached = openness >= persona.dynamics.breakthrough_at and layer == len(persona.layers) - 1
    new_breakthrough = reached and not state.breakthrough
    return replace(
        state,
        openness=openness,
        layer=layer,
        turn=turn,
        shutdown=shutdown,
        breakthrough=state.breakthrough or reached,
        breakthrough_turn=turn if new_breakthrough else state.breakthrough_turn,
        reaction=reaction_for(grade, state.shutdown, shutdown, new_breakthrough),
        trigger=grade.primary if grade.ok else None,
    )
