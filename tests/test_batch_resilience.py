"""The backend wrapper: retries with backoff, the request rate, token metering."""

import asyncio
import time

import pytest
from pydantic import BaseModel

from simulator.batch.resilience import METER, ResilientBackend, RetryPolicy, TokenMeter
from simulator.llm import BackendError, Message, Structured

FAST = RetryPolicy(attempts=4, base_delay_s=0.001)


class Answer(BaseModel):
    text: str


class ScriptedBackend:
    """Raises the queued errors in order, then answers; records when each call came."""

    name, model = "scripted:test", "test"

    def __init__(self, *errors: BackendError):
        self.errors = list(errors)
        self.times: list[float] = []

    def structured(self, messages, schema, *, temperature=0.0):
        self.times.append(time.monotonic())
        if self.errors:
            raise self.errors.pop(0)
        return Structured(schema(text="ok"), input_tokens=10, output_tokens=3)

    async def astructured(self, messages, schema, *, temperature=0.0):
        return self.structured(messages, schema, temperature=temperature)


MESSAGES = [Message(role="user", content="hi")]


@pytest.mark.parametrize("kind", ["rate_limit", "server", "timeout", "connection"])
def test_retryable_errors_are_retried_until_an_answer(kind):
    backend = ScriptedBackend(BackendError(kind, "busy"), BackendError(kind, "busy"))
    answer = asyncio.run(ResilientBackend(backend, FAST).astructured(MESSAGES, Answer))
    assert answer.value.text == "ok" and len(backend.times) == 3


def test_the_sync_path_retries_too():
    backend = ScriptedBackend(BackendError("server", "500"))
    assert ResilientBackend(backend, FAST).structured(MESSAGES, Answer).value.text == "ok"
    assert len(backend.times) == 2


def test_a_final_error_is_not_retried():
    backend = ScriptedBackend(BackendError("other", "401 check OPENAI_API_KEY", retryable=False))
    with pytest.raises(BackendError, match="401"):
        asyncio.run(ResilientBackend(backend, FAST).astructured(MESSAGES, Answer))
    assert len(backend.times) == 1


def test_malformed_output_is_left_to_the_caller_unless_asked():
    backend = ScriptedBackend(BackendError("malformed", "bad json"))
    with pytest.raises(BackendError, match="bad json"):
        asyncio.run(ResilientBackend(backend, FAST).astructured(MESSAGES, Answer))
    backend = ScriptedBackend(BackendError("malformed", "bad json"))
    assert asyncio.run(ResilientBackend(backend, FAST, retry_malformed=True).astructured(MESSAGES, Answer))


def test_giving_up_says_after_how_many_attempts():
    backend = ScriptedBackend(*[BackendError("rate_limit", "429 slow down")] * 4)
    with pytest.raises(BackendError, match=r"429 slow down \(gave up after 4 attempts\)") as raised:
        asyncio.run(ResilientBackend(backend, FAST).astructured(MESSAGES, Answer))
    assert raised.value.kind == "rate_limit"


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(attempts=10, base_delay_s=1.0, max_delay_s=4.0)
    assert all(0 <= policy.delay(1) <= 1.0 for _ in range(50))
    assert max(policy.delay(6) for _ in range(200)) <= 4.0


def test_requests_per_minute_space_the_calls_of_concurrent_callers():
    backend = ScriptedBackend()
    wrapped = ResilientBackend(backend, FAST, rpm=1200)  # one call per 50 ms

    async def many():
        await asyncio.gather(*(wrapped.astructured(MESSAGES, Answer) for _ in range(6)))

    asyncio.run(many())
    gaps = [b - a for a, b in zip(backend.times, backend.times[1:], strict=False)]
    assert min(gaps) >= 0.045


def test_sync_callers_keep_the_rate_too():
    backend = ScriptedBackend()
    wrapped = ResilientBackend(backend, FAST, rpm=1200)
    for _ in range(4):
        wrapped.structured(MESSAGES, Answer)
    assert backend.times[-1] - backend.times[0] >= 0.14


def test_tokens_are_metered_per_task():
    wrapped = ResilientBackend(ScriptedBackend(), FAST)

    async def unit(calls: int) -> TokenMeter:
        meter = TokenMeter()
        METER.set(meter)
        for _ in range(calls):
            await wrapped.astructured(MESSAGES, Answer)
        return meter

    async def both():
        return await asyncio.gather(unit(1), unit(3))

    one, three = asyncio.run(both())
    assert (one.calls, one.input_tokens, one.output_tokens) == (1, 10, 3)
    assert (three.calls, three.input_tokens) == (3, 30)


@pytest.mark.parametrize("rpm", [float("inf"), float("nan"), 0.0, -5.0])
def test_a_request_rate_must_be_finite_and_positive(rpm):
    with pytest.raises(ValueError, match="finite number of requests per minute above 0"):
        ResilientBackend(ScriptedBackend(), FAST, rpm=rpm)


def test_the_grader_spec_refuses_an_infinite_rate():
    from pydantic import ValidationError

    from simulator.batch.graders import GraderSpec

    with pytest.raises(ValidationError, match="finite number"):
        GraderSpec(kind="llm", rpm=float("inf"))
