"""The Speaker protocol and the request it answers: persona + hidden state + history."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from simulator.dynamics import PersonaState
from simulator.personas import Persona

Role = Literal["learner", "persona"]


@dataclass(frozen=True)
class Utterance:
    """One line of the conversation."""

    role: Role
    text: str


@dataclass(frozen=True)
class SpeakerRequest:
    """What a speaker needs for its next reply; `state` is after the latest learner turn."""

    persona: Persona
    state: PersonaState
    history: tuple[Utterance, ...]
    seed: int = 0

    @property
    def last_learner_text(self) -> str:
        learner = [u.text for u in self.history if u.role == "learner"]
        return learner[-1] if learner else ""


class Speaker(Protocol):
    """Anything that voices a persona. Errors surface as simulator.llm.BackendError."""

    name: str

    def opening(self, persona: Persona) -> str:
        """The persona's first line."""
        ...

    def stream_reply(self, request: SpeakerRequest) -> Iterator[str]:
        """Yield the reply in pieces as they are produced."""
        ...
