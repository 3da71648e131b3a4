"""A real local OpenAI-compatible chat server for tests: streaming, structured output, latency, faults."""

import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import uvicorn
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

FaultKind = Literal["rate_limit", "server", "timeout", "malformed", "cut_stream", "unauthorized", "not_found"]
Reply = str | dict | BaseModel
Responder = Callable[[dict], Reply]
DEFAULT_TEXT = "I hear you, and I'm still a bit unsure what to say."


def default_responder(request: dict) -> Reply:
    """A fixed friendly sentence (tests enqueue what they need instead)."""
    return DEFAULT_TEXT


def reply_text(reply: Reply) -> str:
    """The content string for a reply: text as is, dicts and models as JSON."""
    if isinstance(reply, BaseModel):
        return reply.model_dump_json()
    if isinstance(reply, dict):
        return json.dumps(reply)
    return reply


def split_tokens(text: str) -> list[str]:
    """Word-sized stream pieces that join back to the text."""
    return re.findall(r"\s*\S+", text) or [text]


def forced_tool_name(body: dict) -> str | None:
    """The function the client asked the model to call, if it asked for one."""
    tools = body.get("tools") or []
    if not tools:
        return None
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        return choice.get("function", {}).get("name")
    return tools[0]["function"]["name"]


class OpenAIServer:
    """An OpenAI-compatible /v1/chat/completions server on 127.0.0.1, run in a background thread."""

    def __init__(
        self, latency: float = 0.0, token_delay: float = 0.0, responder: Responder = default_responder
    ):
        self.latency = latency
        self.token_delay = token_delay
        self.responder = responder
        self.hang_s = 30.0
        self.requests: list[dict] = []
        self._replies: deque[Reply] = deque()
        self._faults: deque[tuple[FaultKind, float]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ----- what tests call

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order (text, dict or Pydantic model)."""
        with self._lock:
            self._replies.extend(replies)

    def fail_next(self, kind: FaultKind, times: int = 1, retry_after: float = 0.05) -> None:
        """Make the next `times` requests fail this way (rate_limit carries a retry-after header)."""
        with self._lock:
            self._faults.extend([(kind, retry_after)] * times)

    def reset(self) -> None:
        """Forget requests, queued replies and faults; back to no latency and the default responder."""
        with self._lock:
            self.requests.clear()
            self._replies.clear()
            self._faults.clear()
        self.latency = self.token_delay = 0.0
        self.responder = default_responder
        self.hang_s = 30.0

    # ----- lifecycle

    def start(self) -> "OpenAIServer":
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            backlog=4096,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openai-test-server", daemon=True)
        self._thread.start()
        self._wait_started()
        return self

    def _wait_started(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self._server and self._server.started):
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test OpenAI server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----- request handling

    def _take(self, body: dict) -> tuple[tuple[FaultKind, float] | None, Reply]:
        with self._lock:
            self.requests.append(body)
            fault = self._faults.popleft() if self._faults else None
            if fault is not None:
                return fault, ""
            reply = self._replies.popleft() if self._replies else None
        return None, reply if reply is not None else self.responder(body)

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        fault, reply = self._take(body)
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is not None:
            return await self._fault(fault, body)
        completion = Completion(body, reply_text(reply))
        if body.get("stream"):
            return StreamingResponse(self._sse(completion), media_type="text/event-stream")
        return JSONResponse(completion.whole())

    async def _fault(self, fault: tuple[FaultKind, float], body: dict) -> Response:
        kind, retry_after = fault
        if kind == "rate_limit":
            headers = {"retry-after": str(retry_after)}
            return error_response(429, "rate_limit_exceeded", "Rate limit reached", headers)
        if kind == "server":
            return error_response(500, "server_error", "The server had an error")
        if kind == "unauthorized":
            return error_response(401, "invalid_api_key", "Incorrect API key provided")
        if kind == "not_found":
            return error_response(404, "model_not_found", f"The model {body.get('model')} does not exist")
        if kind == "timeout":
            await self._hang()
            return error_response(504, "timeout", "Gateway timeout")
        if kind == "malformed":
            return Response('{"id": "chatcmpl-broken", "choices": [', media_type="application/json")
        return StreamingResponse(self._cut(body), media_type="text/event-stream")

    async def _hang(self) -> None:
        deadline = time.monotonic() + self.hang_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            await asyncio.sleep(0.05)

    async def _sse(self, completion: "Completion") -> AsyncIterator[str]:
        for index, chunk in enumerate(completion.chunks()):
            if index and self.token_delay:
                await asyncio.sleep(self.token_delay)
            yield f"data: {json.dumps(chunk)}\n\n"
        yield "data: [DONE]\n\n"

    async def _cut(self, body: dict) -> AsyncIterator[str]:
        """Send the first pieces of an answer, then drop the connection."""
        chunks = Completion(body, "This answer will be cut off before it is done.").chunks()
        for chunk in chunks[:3]:
            yield f"data: {json.dumps(chunk)}\n\n"
        raise ConnectionAbortedError("connection cut by the test server")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """An OpenAI-style error body."""
    error = {"error": {"message": message, "type": code, "code": code, "param": None}}
    return JSONResponse(error, status_code=status, headers=headers)


class Completion:
    """One answer to a chat request, as a whole response or as stream chunks."""

    def __init__(self, body: dict, content: str):
        self.body = body
        self.content = content
        self.model = body.get("model", "test-model")
        self.tool = forced_tool_name(body)
        self.created = int(time.time())

    def usage(self) -> dict[str, int]:
        prompt = sum(len(str(m.get("content") or "").split()) for m in self.body.get("messages", []))
        completion = len(split_tokens(self.content))
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _envelope(self, kind: str, choices: list[dict]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": kind,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }

    def _tool_call(self) -> dict:
        return {
            "id": "call_test",
            "type": "function",
            "function": {"name": self.tool, "arguments": self.content},
        }

    def whole(self) -> dict[str, Any]:
        if self.tool:
            message = {"role": "assistant", "content": None, "tool_calls": [self._tool_call()]}
            finish = "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": self.content}, "stop"
        response = self._envelope(
            "chat.completion", [{"index": 0, "message": message, "finish_reason": finish}]
        )
        return {**response, "usage": self.usage()}

    def chunks(self) -> list[dict[str, Any]]:
        kind = "chat.completion.chunk"
        if self.tool:
            deltas = [{"role": "assistant", "tool_calls": [{"index": 0, **self._tool_call()}]}]
            finish = "tool_calls"
        else:
            deltas = [{"role": "assistant", "content": ""}] + [
                {"content": t} for t in split_tokens(self.content)
            ]
            finish = "stop"
        chunks = [self._envelope(kind, [{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
        chunks.append(self._envelope(kind, [{"index": 0, "delta": {}, "finish_reason": finish}]))
        if (self.body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**self._envelope(kind, []), "usage": self.usage()})
        return chunks
