"""The model layer against a real local OpenAI-compatible server: streaming, structured output, faults."""

import asyncio
import json
import socket
import time
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from simulator import llm
from simulator.llm import BackendError, LlamaChatBackend, Message, OpenAIChatBackend, make_chat_backend
from simulator.settings import Settings

HELLO = [Message(role="system", content="Be brief."), Message(role="user", content="Hello there")]


class Mood(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mood: Literal["calm", "tense"]
    reason: str


def backend_on(server, **options) -> OpenAIChatBackend:
    settings = {"timeout_s": 2.0, "max_retries": 2, **options}
    return OpenAIChatBackend(server.base_url, "test-key", "test-model", **settings)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- streaming


def test_stream_yields_the_reply_in_several_pieces(openai_server, openai_backend):
    openai_server.enqueue("I just need a minute to breathe.")
    pieces = list(openai_backend.stream(HELLO, max_tokens=30, temperature=0.5))
    assert len(pieces) > 3
    assert "".join(pieces) == "I just need a minute to breathe."


def test_stream_sends_the_messages_and_settings(openai_server, openai_backend):
    list(openai_backend.stream(HELLO, max_tokens=30, temperature=0.5))
    sent = openai_server.requests[-1]
    assert sent["stream"] is True and sent["model"] == "test-model"
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
    ]
    assert sent["temperature"] == 0.5
    assert sent["max_completion_tokens"] == sent["max_tokens"] == 30  # some servers read only max_tokens


def test_first_piece_arrives_before_the_stream_ends(openai_server, openai_backend):
    openai_server.token_delay = 0.05
    openai_server.enqueue("one two three four five six seven eight")
    start = time.monotonic()
    stream = openai_backend.stream(HELLO)
    first = next(stream)
    first_at = time.monotonic() - start
    rest = list(stream)
    total = time.monotonic() - start
    assert first.strip() == "one" and len(rest) == 7
    assert first_at < total - 0.2


def test_cut_stream_raises_instead_of_returning_half_a_reply(openai_server, openai_backend):
    openai_server.fail_next("cut_stream")
    received = []
    with pytest.raises(BackendError) as caught:
        for piece in openai_backend.stream(HELLO):
            received.append(piece)
    assert caught.value.kind == "cut_stream" and caught.value.retryable
    assert received, "the pieces before the cut were streamed"
    assert "cut off" in str(caught.value)


# ----- structured output


def test_structured_validates_the_answer_and_counts_tokens(openai_server, openai_backend):
    openai_server.enqueue({"mood": "tense", "reason": "a long week"})
    answer = openai_backend.structured(HELLO, Mood)
    assert answer.value == Mood(mood="tense", reason="a long week")
    assert (answer.input_tokens, answer.output_tokens) == (4, 6)  # words, as the test server counts
    response_format = openai_server.requests[-1]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["schema"]["properties"]["mood"]["enum"] == ["calm", "tense"]


@pytest.mark.parametrize(
    "content",
    ['{"mood": "tense"', '{"mood": "angry", "reason": "x"}', '{"mood": "calm", "reason": "x", "extra": 1}'],
)
def test_structured_refuses_output_that_does_not_fit(openai_server, openai_backend, content):
    openai_server.enqueue(content)
    with pytest.raises(BackendError) as caught:
        openai_backend.structured(HELLO, Mood)
    assert caught.value.kind == "malformed"
    assert "Mood" in str(caught.value)


def test_astructured_runs_concurrently_without_blocking(openai_server):
    openai_server.latency = 0.2
    openai_server.responder = lambda body: {"mood": "calm", "reason": "fine"}
    backend = backend_on(openai_server)

    async def many() -> list:
        return await asyncio.gather(*(backend.astructured(HELLO, Mood) for _ in range(64)))

    start = time.monotonic()
    answers = asyncio.run(many())
    elapsed = time.monotonic() - start
    assert len(answers) == 64 and all(a.value.mood == "calm" for a in answers)
    assert elapsed < 64 * 0.2 / 4, f"64 calls of 200 ms took {elapsed:.2f} s: they did not overlap"


def test_astructured_works_across_event_loops(openai_server, openai_backend):
    openai_server.responder = lambda body: {"mood": "calm", "reason": "fine"}
    for _ in range(2):
        assert asyncio.run(openai_backend.astructured(HELLO, Mood)).value.mood == "calm"


# ----- faults


def test_rate_limit_once_is_retried_by_the_client(openai_server, openai_backend):
    openai_server.fail_next("rate_limit")
    openai_server.enqueue({"mood": "calm", "reason": "ok"})
    assert openai_backend.structured(HELLO, Mood).value.mood == "calm"
    assert len(openai_server.requests) == 2


def test_rate_limit_that_persists_says_what_to_do(openai_server, openai_backend):
    openai_server.fail_next("rate_limit", times=3)
    with pytest.raises(BackendError) as caught:
        list(openai_backend.stream(HELLO))
    error = caught.value
    assert error.kind == "rate_limit" and error.retryable
    assert "429" in str(error) and "after 3 tries" in str(error) and openai_server.base_url in str(error)
    assert len(openai_server.requests) == 3


def test_server_error_is_retried_then_reported(openai_server):
    backend = backend_on(openai_server, max_retries=1)
    openai_server.fail_next("server")
    openai_server.enqueue("recovered")
    assert "".join(backend.stream(HELLO)) == "recovered"
    openai_server.fail_next("server", times=2)
    with pytest.raises(BackendError) as caught:
        backend.structured(HELLO, Mood)
    assert caught.value.kind == "server" and "500" in str(caught.value)


def test_timeout_is_reported_with_the_setting_to_change(openai_server):
    backend = backend_on(openai_server, timeout_s=0.3, max_retries=0)
    openai_server.fail_next("timeout")
    start = time.monotonic()
    with pytest.raises(BackendError) as caught:
        backend.structured(HELLO, Mood)
    assert time.monotonic() - start < 2
    assert caught.value.kind == "timeout" and "LISTENLAB_TIMEOUT" in str(caught.value)


def test_malformed_response_body_is_malformed(openai_server, openai_backend):
    openai_server.fail_next("malformed")
    with pytest.raises(BackendError) as caught:
        openai_backend.structured(HELLO, Mood)
    assert caught.value.kind == "malformed"
    assert "not a valid chat completion" in str(caught.value)


def test_no_server_is_a_connection_error():
    backend = OpenAIChatBackend(f"http://127.0.0.1:{closed_port()}/v1", "k", "m", timeout_s=1, max_retries=0)
    with pytest.raises(BackendError) as caught:
        list(backend.stream(HELLO))
    assert caught.value.kind == "connection" and "OPENAI_BASE_URL" in str(caught.value)


def test_refused_request_is_not_retryable():
    assert not BackendError("other", "bad key", retryable=False).retryable
    assert BackendError("server", "boom").retryable


# ----- the test server itself: usage chunk for streaming clients that ask for it


def test_server_sends_a_usage_chunk_when_asked(openai_server):
    openai_server.enqueue("two words")
    body = {
        "model": "m",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "hi"}],
    }
    response = httpx.post(f"{openai_server.base_url}/chat/completions", json=body, timeout=5)
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 2


# ----- messages and settings


def test_message_roles_are_checked():
    with pytest.raises(ValidationError):
        Message(role="tool", content="x")


def test_openai_backend_needs_a_server_or_a_key():
    with pytest.raises(BackendError) as caught:
        make_chat_backend(Settings(OPENAI_BASE_URL=None, OPENAI_API_KEY="not-needed"), "openai")
    assert "OPENAI_BASE_URL" in str(caught.value) and "OPENAI_API_KEY" in str(caught.value)


def test_openai_backend_from_settings(openai_server):
    settings = Settings(
        OPENAI_BASE_URL=openai_server.base_url, LISTENLAB_MODEL="tiny", LISTENLAB_MAX_RETRIES=0
    )
    backend = make_chat_backend(settings, "openai")
    assert isinstance(backend, OpenAIChatBackend)
    assert (backend.name, backend.model, backend.max_retries) == ("openai:tiny", "tiny", 0)
    assert isinstance(backend, llm.ChatBackend)


def test_llama_backend_from_settings_uses_the_given_file(tmp_path):
    gguf = tmp_path / "tiny-model.gguf"
    gguf.write_bytes(b"GGUF")
    backend = make_chat_backend(Settings(LISTENLAB_GGUF=gguf), "llama")
    assert isinstance(backend, LlamaChatBackend)
    assert backend.model_path == gguf and backend.name == "llama:tiny-model"


def test_missing_bundled_model_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(llm, "BUNDLED_PACKAGE", "no_such_listenlab_package")
    monkeypatch.setattr(llm, "BUNDLED_DISTRIBUTION", "no-such-listenlab-package")
    with pytest.raises(FileNotFoundError, match=r"listenlab\[llama\]"):
        llm.bundled_gguf_path()


def test_server_answers_a_forced_tool_call_with_the_enqueued_arguments(openai_server):
    openai_server.enqueue({"mood": "calm", "reason": "rested"})
    tool = {"type": "function", "function": {"name": "Mood", "parameters": Mood.model_json_schema()}}
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [tool],
        "tool_choice": {"type": "function", "function": {"name": "Mood"}},
    }
    answer = httpx.post(f"{openai_server.base_url}/chat/completions", json=body, timeout=5).json()
    call = answer["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call["name"] == "Mood" and Mood.model_validate_json(call["arguments"]).reason == "rested"
    assert answer["choices"][0]["finish_reason"] == "tool_calls"
