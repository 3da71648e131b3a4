"""GraderSpec: a plain, picklable description of the grading set-up, built into graders where they run."""

import importlib
from typing import Any, Literal

from pydantic import BaseModel, Field

from simulator.batch.engine import Graders
from simulator.batch.resilience import ResilientBackend, RetryPolicy
from simulator.settings import Settings

Granularity = Literal["turn", "transcript"]
SYNC_CHUNK = 256


class GraderError(ValueError):
    """The grader set-up cannot work; raised before any grading starts."""


class GraderSpec(BaseModel):
    """Which grader, in which mode, with which limits. `kind` is offline, llm, or module:factory."""

    kind: str = "offline"
    granularity: Granularity = "turn"
    rpm: float | None = Field(None, gt=0, allow_inf_nan=False)
    attempts: int = Field(5, ge=1)
    backoff_s: float = Field(0.5, ge=0)
    settings: dict[str, Any] = Field(default_factory=dict)

    def model_settings(self) -> Settings:
        """Settings for the model backend; retries belong to the batch wrapper, so the client makes none."""
        return Settings(**{**self.settings, "max_retries": 0})


def import_factory(kind: str):
    """The callable named by 'module:attribute'."""
    module_name, _, attribute = kind.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise GraderError(f"cannot load grader {kind!r}: {exc}") from exc


def build_graders(spec: GraderSpec) -> Graders:
    """The graders a spec describes (called in the process that grades)."""
    if spec.kind == "llm":
        return llm_graders(spec)
    if spec.granularity == "transcript":
        raise GraderError("--granularity transcript is for model graders: use it with --grader llm")
    if spec.kind == "offline":
        from simulator.grader.offline import load_offline_grader

        return Graders(load_offline_grader())
    if ":" in spec.kind:
        made = import_factory(spec.kind)()
        return made if isinstance(made, Graders) else Graders(made)
    raise GraderError(f"unknown grader {spec.kind!r}: use offline, llm or module:factory")


def llm_graders(spec: GraderSpec) -> Graders:
    """An LLM grader on a backend that retries with backoff and keeps to the request rate."""
    from simulator.batch.per_transcript import TranscriptGrader
    from simulator.grader.llm_grader import LLMGrader
    from simulator.llm import BackendError, make_chat_backend

    try:
        backend = make_chat_backend(spec.model_settings(), "openai")
    except BackendError as exc:
        raise GraderError(str(exc)) from exc
    policy = RetryPolicy(attempts=spec.attempts, base_delay_s=spec.backoff_s)
    resilient = ResilientBackend(backend, policy, spec.rpm)
    turn = LLMGrader(resilient)
    transcript = TranscriptGrader(resilient, turn) if spec.granularity == "transcript" else None
    return Graders(turn, transcript)


def chunk_size(graders: Graders) -> int:
    """Turns per unit: one per call for model graders, many for in-process ones."""
    return 1 if graders.is_async else SYNC_CHUNK
