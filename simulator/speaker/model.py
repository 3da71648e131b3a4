"""ModelSpeaker: a chat model voices the persona, prompted with its hidden state and how it reacts now."""

import re
from collections.abc import Iterable, Iterator

from simulator.dynamics import PersonaState
from simulator.labels import Label
from simulator.llm import ChatBackend, Message
from simulator.personas import Persona
from simulator.prompts import Prompt, fill, load_prompt
from simulator.speaker.base import SpeakerRequest, Utterance

HISTORY_LIMIT = 12
MAX_REPLY_TOKENS = 90
TEMPERATURE = 0.7
ROLE_WORDS = ("assistant", "persona", "speaker", "character", "me", "ai", "bot",
              "user", "learner", "listener", "you")
HEAD_CHARS = 32

def reaction_instruction(prompt: Prompt, persona: Persona, state: PersonaState) -> str:
    """How the persona reacts to the learner's last turn, in plain words for the model."""
    sections = prompt.sections()
    if state.reaction == "pushback":
        return sections.get(f"pushback.{state.trigger}", sections[f"pushback.{Label.ADVICE}"])
    text = sections.get(f"reaction.{state.reaction}", sections["reaction.neutral"])
    return fill(text, disclosure=persona.layers[state.layer].disclosure, need=persona.hidden.core_need,
                feelings=", ".join(persona.hidden.underlying_feelings))


def example_lines(persona: Persona, state: PersonaState) -> list[str]:
    """The authored lines that fit this reaction (the scripted speaker's material), as a tone example."""
    lines, layer = persona.lines, persona.layers[state.layer]
    by_reaction = {
        "opening": [lines.opening], "deeper": layer.lines, "answer": layer.answers,
        "closed_answer": lines.closed_answers, "neutral": lines.neutral, "shutdown": lines.shutdown,
        "breakthrough": lines.breakthrough, "pushback": lines.pushback.get(state.trigger, []),
    }
    return by_reaction.get(state.reaction, [])


def system_prompt(prompt: Prompt, persona: Persona, state: PersonaState, seed: int = 0) -> str:
    """The speaker prompt filled with the persona, the unlocked layers only, and the reaction now."""
    examples = example_lines(persona, state)
    example = examples[(seed + state.turn) % len(examples)] if examples else ""
    style = persona.style
    return fill(
        prompt.section("system"),
        title=persona.title,
        background=persona.hidden.background,
        voice=style.voice,
        traits=f"You are {', '.join(style.traits)}." if style.traits else "",
        surface_concern=persona.hidden.surface_concern,
        disclosures="\n".join(f"- {layer.disclosure}" for layer in persona.layers[: state.layer + 1]),
        now=reaction_instruction(prompt, persona, state),
        example=fill(prompt.section("example"), line=example) if example else "",
        length=prompt.section(f"length.{style.verbosity}"),
    )


def history_messages(history: Iterable[Utterance], limit: int = HISTORY_LIMIT) -> list[Message]:
    """The recent conversation as chat messages: persona = assistant, learner = user."""
    recent = list(history)[-limit:]
    return [Message(role="assistant" if u.role == "persona" else "user", content=u.text) for u in recent]


class ReplyCleaner:
    """Strips a leading role prefix or stage direction and stops where the model starts another turn."""

    def __init__(self, names: Iterable[str] = ()):
        self.words = sorted({*ROLE_WORDS, *(n.lower() for n in names if n)}, key=len, reverse=True)
        alternatives = "|".join(re.escape(w) for w in self.words)
        role = rf"(?:\*\*|\[)?(?:{alternatives})(?:\*\*|\])?"
        self.prefix = re.compile(rf"^\s*{role}\s*:(?:\*\*|\])?\s*", re.IGNORECASE)
        self.stage = re.compile(r"^\s*(?:\*[^*\n]{1,80}\*|\([^)\n]{1,80}\)|\[[^\]\n]{1,80}\])\s*")
        self.turn_break = re.compile(r"\n\s*(?:\*\*)?[A-Za-z][\w .'-]{0,30}(?:\*\*)?:")
        self.head, self.pending = "", ""
        self.started = self.emitted = self.stopped = False

    def _could_still_be_prefix(self, text: str) -> bool:
        """Whether the start of the reply may still turn into a role prefix or a stage direction."""
        if len(text) >= HEAD_CHARS:
            return False
        if not text or text[0] in "*([":
            return True
        lowered = text.lower()
        return any(w.startswith(lowered) or self._word_then_nothing(w, lowered) for w in self.words)

    @staticmethod
    def _word_then_nothing(word: str, text: str) -> bool:
        return text.startswith(word) and not text[len(word) :].strip(" *]")

    def _strip_head(self) -> str:
        text = self.head
        for _ in range(3):
            text = self.stage.sub("", self.prefix.sub("", text))
        return text.lstrip()

    def feed(self, piece: str) -> str:
        """Text that is safe to show now."""
        if self.stopped:
            return ""
        if not self.started:
            self.head += piece
            piece = self._strip_head()
            if self._could_still_be_prefix(piece):
                return ""
            self.started = True
        return self._release(piece)

    def _release(self, piece: str) -> str:
        self.pending += piece if self.emitted else piece.lstrip()
        if (found := self.turn_break.search(self.pending)) is not None:
            self.stopped = True
            return self._emit(self.pending[: found.start()].rstrip(), "")
        first, last = self.pending.find("\n"), self.pending.rfind("\n")
        if first == -1 or len(self.pending[last:].strip()) >= HEAD_CHARS:
            return self._emit(self.pending, "")
        return self._emit(self.pending[:first], self.pending[first:])

    def _emit(self, out: str, held: str) -> str:
        self.pending = held
        self.emitted = self.emitted or bool(out)
        return out

    def close(self) -> str:
        """Whatever is still held back once the model has finished."""
        if self.stopped:
            return ""
        if not self.started:
            self.started, self.pending = True, self._strip_head()
        return self._emit(self.pending.rstrip(), "")


def clean_stream(pieces: Iterable[str], names: Iterable[str] = ()) -> Iterator[str]:
    """Stream the pieces through a ReplyCleaner."""
    cleaner = ReplyCleaner(names)
    for piece in pieces:
        if text := cleaner.feed(piece):
            yield text
        if cleaner.stopped:
            return
    if text := cleaner.close():
        yield text


class ModelSpeaker:
    """Voices a persona with a chat backend (llama.cpp or an OpenAI-compatible server)."""

    def __init__(self, backend: ChatBackend, name: str | None = None, prompt: Prompt | None = None,
                 max_tokens: int = MAX_REPLY_TOKENS):
        self.backend = backend
        self.max_tokens = max_tokens
        self.prompt = prompt or load_prompt("speaker_v1")
        self.name = name or f"{backend.name}@{self.prompt.version}"

    def opening(self, persona: Persona) -> str:
        return persona.lines.opening

    def messages(self, request: SpeakerRequest) -> list[Message]:
        """The system prompt plus the recent conversation."""
        system = system_prompt(self.prompt, request.persona, request.state, request.seed)
        return [Message(role="system", content=system), *history_messages(request.history)]

    def stream_reply(self, request: SpeakerRequest) -> Iterator[str]:
        persona = request.persona
        names = [persona.title, *persona.title.split()]
        messages = self.messages(request)
        pieces = self.backend.stream(messages, max_tokens=self.max_tokens, temperature=TEMPERATURE)
        try:
            yield from clean_stream(pieces, names)
        finally:
            if close := getattr(pieces, "close", None):
                close()  # stop generating once the reply is cut, and free the model for the next caller
