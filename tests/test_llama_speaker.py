"""The embedded llama.cpp backend with the bundled SmolLM2-135M model: real tokens, constrained JSON."""

import importlib.util
from dataclasses import replace
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from simulator.dynamics import initial_state
from simulator.llm import LlamaChatBackend, Message, bundled_gguf_path, cpu_has_amx
from simulator.speaker.base import SpeakerRequest, Utterance
from simulator.speaker.model import ModelSpeaker

pytestmark = [
    pytest.mark.llama,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed (pip install 'listenlab[llama]')",
    ),
]


class Mood(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mood: Literal["calm", "tense"]


@pytest.fixture(scope="module")
def llama_backend() -> LlamaChatBackend:
    return LlamaChatBackend(n_ctx=1024, seed=7)


def test_the_bundled_model_file_is_found():
    path = bundled_gguf_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "SmolLM2-135M" in path.name


def test_stream_generates_real_tokens(llama_backend):
    messages = [Message(role="user", content="Say hello to your neighbour.")]
    pieces = list(llama_backend.stream(messages, max_tokens=24, temperature=0.0))
    assert len(pieces) >= 3
    assert any(ch.isalpha() for ch in "".join(pieces))


def test_same_seed_and_zero_temperature_repeat_the_reply(llama_backend):
    messages = [Message(role="user", content="Name one colour.")]
    first = "".join(llama_backend.stream(messages, max_tokens=12, temperature=0.0))
    assert first == "".join(llama_backend.stream(messages, max_tokens=12, temperature=0.0))


def test_model_speaker_voices_the_persona_with_llama(llama_backend, llm_persona):
    state = replace(initial_state(llm_persona), turn=1, reaction="deeper")
    history = (
        Utterance("persona", llm_persona.lines.opening),
        Utterance("learner", "Sounds like a rough day."),
    )
    speaker = ModelSpeaker(llama_backend, max_tokens=24)
    reply = "".join(speaker.stream_reply(SpeakerRequest(llm_persona, state, history)))
    assert reply.strip(), "the speaker produced words"
    assert not reply.lower().startswith(("assistant:", "tired partner:"))


def test_structured_output_is_constrained_to_the_schema(llama_backend):
    messages = [
        Message(role="user", content="I am so stressed about work. Is my mood calm or tense? Answer in JSON.")
    ]
    answer = llama_backend.structured(messages, Mood)
    assert answer.value.mood in ("calm", "tense")
    assert answer.input_tokens > 0 and answer.output_tokens > 0


def test_repacking_is_off_where_the_cpu_has_amx(tmp_path):
    gguf = tmp_path / "x.gguf"
    gguf.write_bytes(b"GGUF")
    assert LlamaChatBackend(gguf).repack is (not cpu_has_amx())
    assert LlamaChatBackend(gguf, repack=True).repack is True
