"""The scripted speaker: picks the persona's authored lines by state and the learner's move; no model."""

import random
import re
from collections.abc import Iterator

from simulator.dynamics import PersonaState
from simulator.personas import Persona
from simulator.speaker.base import SpeakerRequest


def candidate_pools(persona: Persona, state: PersonaState) -> list[list[str]]:
    """Line pools in order of preference for this reaction (fallbacks keep lines fresh)."""
    lines, layer = persona.lines, persona.layers[state.layer]
    shallower = [
        pool for lower in reversed(persona.layers[: state.layer]) for pool in (lower.lines, lower.answers)
    ]
    by_reaction: dict[str, list[list[str]]] = {
        "breakthrough": [lines.breakthrough, layer.lines, layer.answers],
        "pushback": [
            lines.pushback.get(state.trigger, []),
            lines.shutdown,
            lines.neutral,
        ],
        "shutdown": [lines.shutdown, lines.closed_answers, lines.neutral],
        "deeper": [layer.lines, layer.answers, *shallower],
        "answer": [layer.answers, layer.lines, *shallower],
        "closed_answer": [lines.closed_answers, lines.neutral, layer.answers],
        "neutral": [lines.neutral, lines.closed_answers, layer.answers],
        "opening": [[lines.opening]],
    }
    return by_reaction[state.reaction] + [lines.closing]


def choose_line(persona: Persona, state: PersonaState, said: set[str], rng: random.Random) -> str:
    """The first pool with a line not yet said gives a random such line; else any line of the first pool."""
    pools = [pool for pool in candidate_pools(persona, state) if pool]
    for pool in pools:
        fresh = [line for line in pool if line not in said]
        if fresh:
            return rng.choice(fresh)
    return rng.choice(pools[0])


def word_pieces(text: str) -> Iterator[str]:
    """Split a line into word-sized pieces that join back to the line."""
    yield from re.findall(r"\S+\s*", text)


class ScriptedSpeaker:
    """Deterministic for a seed: the same conversation gets the same replies."""

    name = "scripted"

    def opening(self, persona: Persona) -> str:
        return persona.lines.opening

    def stream_reply(self, request: SpeakerRequest) -> Iterator[str]:
        said = {u.text for u in request.history if u.role == "persona"}
        rng = random.Random(f"{request.seed}:{request.persona.id}:{request.state.turn}")
        yield from word_pieces(choose_line(request.persona, request.state, said, rng))
