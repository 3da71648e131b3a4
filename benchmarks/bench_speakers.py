"""Benchmark the model speakers: time to first token and per-turn time, and llama.cpp tokens per second.

Usage: python benchmarks/bench_speakers.py [--turns 20] [--skip-llama] [--json OUT.json]

openai: ModelSpeaker through the real OpenAI client (langchain-openai) against the local test server
(tests/openai_server.py) at 0 ms and 300 ms server latency; the server streams a 14-word reply as fast as
it can, so the figures are the client's own overhead plus the latency.
llama: the bundled SmolLM2-135M-Instruct GGUF in-process: load time, a full speaker turn (persona prompt
+ history), and decode speed (tokens per second after the first token, 64 tokens, temperature 0).
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.dynamics import initial_state  # noqa: E402
from simulator.llm import LlamaChatBackend, Message, OpenAIChatBackend  # noqa: E402
from simulator.personas import parse_persona  # noqa: E402
from simulator.speaker.base import SpeakerRequest, Utterance  # noqa: E402
from simulator.speaker.model import ModelSpeaker  # noqa: E402
from tests.fixtures_llm import TEST_PERSONA_YAML  # noqa: E402
from tests.openai_server import OpenAIServer  # noqa: E402

REPLY = "Yeah. I've been covering for two people for a month and nobody has said a word."


def timed_stream(pieces: Iterator[str]) -> tuple[float, float, int]:
    """(seconds to the first piece, seconds in all, number of pieces)."""
    start, first, count = time.perf_counter(), None, 0
    for _ in pieces:
        count += 1
        first = first if first is not None else time.perf_counter() - start
    return first or 0.0, time.perf_counter() - start, count


LEARNER_LINES = [
    "Sounds like today took a lot out of you.",
    "What has been the hardest part?",
    "You're carrying more than your share.",
    "How long has it been like this?",
]


def speaker_request(turn: int = 1) -> SpeakerRequest:
    """A turn of a growing conversation (so llama.cpp cannot reuse the whole previous prompt)."""
    persona = parse_persona(TEST_PERSONA_YAML)
    reaction = "answer" if turn % 2 == 0 else "deeper"
    state = replace(initial_state(persona), turn=turn, reaction=reaction, layer=min(turn // 2, 1))
    history = [Utterance("persona", persona.lines.opening)]
    for i in range(turn):
        history.append(Utterance("learner", LEARNER_LINES[i % len(LEARNER_LINES)]))
        if i < turn - 1:
            history.append(Utterance("persona", persona.layers[0].lines[i % 2]))
    return SpeakerRequest(persona, state, tuple(history))


def summarise(runs: list[tuple[float, float, int]]) -> dict[str, float]:
    firsts, totals = [r[0] for r in runs], [r[1] for r in runs]
    return {
        "ttft_ms_median": 1000 * statistics.median(firsts),
        "total_ms_median": 1000 * statistics.median(totals),
        "total_ms_max": 1000 * max(totals),
        "pieces": runs[0][2],
        "turns": len(runs),
    }


def bench_openai(turns: int) -> dict[str, dict]:
    results = {}
    with OpenAIServer(responder=lambda body: REPLY) as server:
        backend = OpenAIChatBackend(server.base_url, "bench", "bench-model", timeout_s=10, max_retries=0)
        speaker, request = ModelSpeaker(backend), speaker_request()
        list(speaker.stream_reply(request))  # warm the connection pool and imports
        for latency in (0.0, 0.3):
            server.latency = latency
            runs = [timed_stream(speaker.stream_reply(request)) for _ in range(turns)]
            results[f"latency_{int(latency * 1000)}ms"] = summarise(runs)
    return results


def bench_llama(turns: int) -> dict[str, float]:
    started = time.perf_counter()
    backend = LlamaChatBackend(seed=0)
    backend.stream([Message(role="user", content="Hi")], max_tokens=1).__next__()
    load_s = time.perf_counter() - started
    speaker = ModelSpeaker(backend, max_tokens=48)
    cold_first, cold_total, _ = timed_stream(speaker.stream_reply(speaker_request(1)))
    turn_runs = [
        timed_stream(speaker.stream_reply(speaker_request(t))) for t in range(2, 2 + max(1, turns // 4))
    ]
    decode = [decode_speed(backend) for _ in range(3)]
    return {
        "load_s": load_s,
        "first_turn_ttft_ms": 1000 * cold_first,
        "first_turn_total_ms": 1000 * cold_total,
        **{f"next_turns_{k}": v for k, v in summarise(turn_runs).items()},
        "decode_tokens_per_s_median": statistics.median(decode),
        "repack": backend.repack,
        "threads": backend.n_threads or max(1, (os.cpu_count() or 2) // 2),
    }


def decode_speed(backend: LlamaChatBackend, tokens: int = 64) -> float:
    messages = [Message(role="user", content="Tell me a long story about a lighthouse keeper.")]
    first, total, count = timed_stream(backend.stream(messages, max_tokens=tokens, temperature=0.0))
    return (count - 1) / (total - first) if count > 1 and total > first else 0.0


def report(figures: dict, indent: str = "") -> None:
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            report(value, indent + "  ")
        else:
            print(f"{indent}{key}: {value:.1f}" if isinstance(value, float) else f"{indent}{key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--skip-llama", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "openai": bench_openai(args.turns),
    }
    if not args.skip_llama:
        results["llama"] = bench_llama(args.turns)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
