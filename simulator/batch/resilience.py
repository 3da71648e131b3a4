"""Wrappers around a chat backend: retry with backoff, a requests-per-minute limit, token metering."""

import asyncio
import math
import random
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from pydantic import BaseModel

from simulator.llm import BackendError, ChatBackend, Message, Structured

T = TypeVar("T", bound=BaseModel)


@dataclass
class TokenMeter:
    """Tokens and calls spent on one unit of work (set per task through METER)."""

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0

    def add(self, answer: Structured) -> None:
        self.input_tokens += answer.input_tokens
        self.output_tokens += answer.output_tokens
        self.calls += 1


METER: ContextVar[TokenMeter | None] = ContextVar("listenlab_token_meter", default=None)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a retryable BackendError (429, 5xx, timeout, malformed)."""

    attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter before retry number `attempt` (1-based)."""
        return random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


def gave_up(exc: BackendError, attempts: int) -> BackendError:
    """The last error, saying how many attempts were made."""
    return BackendError(exc.kind, f"{exc} (gave up after {attempts} attempts)", retryable=exc.retryable)


def spacing(rpm: float) -> float:
    """Seconds between calls for a finite, positive requests-per-minute limit (ValueError otherwise)."""
    if not math.isfinite(rpm) or rpm <= 0:
        raise ValueError(f"a request rate must be a finite number of requests per minute above 0, not {rpm}")
    return 60.0 / rpm


class SpacingLimiter:
    """A thread-safe limiter for synchronous callers: at most `rpm` calls per minute, evenly spaced."""

    def __init__(self, rpm: float):
        self.interval = spacing(rpm)
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        time.sleep(max(0.0, start - now))


class ResilientBackend:
    """A ChatBackend that meters tokens, keeps to a request rate and retries retryable errors."""

    def __init__(
        self,
        backend: ChatBackend,
        policy: RetryPolicy = RetryPolicy(),
        rpm: float | None = None,
        retry_malformed: bool = False,
    ):
        self.backend = backend
        self.policy = policy
        self.rpm = rpm
        self.retry_malformed = retry_malformed
        self.name, self.model = backend.name, backend.model
        self._async_limiters: dict[int, AsyncLimiter] = {}
        self._sync_limiter = SpacingLimiter(rpm) if rpm is not None else None

    def stream(self, messages: list[Message], max_tokens: int = 160, temperature: float = 0.7):
        return self.backend.stream(messages, max_tokens=max_tokens, temperature=temperature)

    def structured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        for attempt in range(1, self.policy.attempts + 1):
            if self._sync_limiter:
                self._sync_limiter.wait()
            try:
                return metered(self.backend.structured(messages, schema, temperature=temperature))
            except BackendError as exc:
                self._check(exc, attempt)
                time.sleep(self.policy.delay(attempt))
        raise AssertionError("unreachable")

    async def astructured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        call = lambda: self.backend.astructured(messages, schema, temperature=temperature)  # noqa: E731
        return await self.aretry(call)

    async def aretry(self, call: Callable[[], Awaitable[Structured[T]]]) -> Structured[T]:
        """Await `call` under the rate limit, retrying retryable errors with backoff."""
        for attempt in range(1, self.policy.attempts + 1):
            limiter = self._limiter()
            if limiter is not None:
                await limiter.acquire()
            try:
                return metered(await call())
            except BackendError as exc:
                self._check(exc, attempt)
                await asyncio.sleep(self.policy.delay(attempt))
        raise AssertionError("unreachable")

    def _check(self, exc: BackendError, attempt: int) -> None:
        """Re-raise when the error is final or the attempts are spent (malformed output is left to callers
        that ask again differently, unless retry_malformed)."""
        if not exc.retryable or (exc.kind == "malformed" and not self.retry_malformed):
            raise exc
        if attempt >= self.policy.attempts:
            raise gave_up(exc, attempt) from exc

    def _limiter(self) -> AsyncLimiter | None:
        """One strict-spacing limiter per event loop (a limiter cannot move between loops)."""
        if self.rpm is None:
            return None
        loop = id(asyncio.get_running_loop())
        if loop not in self._async_limiters:
            self._async_limiters[loop] = AsyncLimiter(1, spacing(self.rpm))
        return self._async_limiters[loop]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def metered(answer: Structured[T]) -> Structured[T]:
    """Add an answer's tokens to the current unit's meter, if one is set."""
    meter = METER.get()
    if meter is not None:
        meter.add(answer)
    return answer
