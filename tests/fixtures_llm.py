"""Fixtures for the model layer: the local OpenAI-compatible server, a backend on it, a small persona."""

import re
from collections.abc import Iterator

import pytest

from simulator.llm import OpenAIChatBackend
from simulator.personas import Persona, parse_persona
from tests.openai_server import OpenAIServer

FENCED = re.compile(r"^(~{4,}) ([^\n]+)\n(.*?)\n\1$", re.MULTILINE | re.DOTALL)


def fenced_blocks(content: str) -> dict[str, str]:
    """The fenced data blocks of a message, by label (a fence closes only on its own exact line)."""
    return {label: text for _, label, text in FENCED.findall(content)}


TEST_PERSONA_YAML = """
id: tired-partner
title: Tired partner
situation: Your partner comes home late again and drops onto the sofa without a word.
learner_goal: Help them feel heard before anything else.
difficulty: 1
hidden:
  background: Sam has covered two colleagues' work for a month and nobody at work has noticed.
  surface_concern: Work has been busy.
  underlying_feelings: [invisible, exhausted]
  core_need: To have the effort seen by someone.
style:
  voice: Flat, tired, short sentences; warms up when understood.
  verbosity: terse
  traits: [guarded, dry]
dynamics:
  start_openness: 0.3
  label_effects: {reflection: 0.2, validation: 0.15, open_question: 0.1, closed_question: 0.0, other: 0.0,
                  advice: -0.2, reassurance: -0.15, judgment: -0.3, self_focus: -0.15}
  shutdown_below: 0.1
  breakthrough_at: 0.8
layers:
  - name: surface
    unlock_at: 0.0
    disclosure: Work has been busy and long.
    lines: ["Yeah. Long day.", "It's just busy."]
    answers: ["Busy. Same as always.", "Just a lot on."]
  - name: deeper
    unlock_at: 0.5
    disclosure: I have been doing two other people's jobs for a month.
    lines: ["I've been covering for two people.", "Nobody even noticed."]
    answers: ["The covering. It never stops.", "That nobody says anything."]
lines:
  opening: "Hey. Don't ask."
  pushback:
    advice: ["I didn't ask for a plan.", "I know what I should do."]
    reassurance: ["It's not fine.", "You don't get it."]
    judgment: ["Great, thanks.", "So it's my fault now."]
    self_focus: ["Right. Your day.", "Okay, you talk then."]
  closed_answers: ["Yes.", "No."]
  neutral: ["Mm.", "Yeah."]
  shutdown: ["Forget it.", "I'm going to bed."]
  breakthrough: ["I just want someone to see it."]
  closing: ["Thanks for listening."]
"""


@pytest.fixture(scope="session")
def _openai_server_for_session() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def openai_server(_openai_server_for_session: OpenAIServer) -> Iterator[OpenAIServer]:
    """A running local OpenAI-compatible server, reset for each test (replies, faults, latency, records)."""
    server = _openai_server_for_session
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def openai_backend(openai_server: OpenAIServer) -> OpenAIChatBackend:
    """The real OpenAI client pointed at the local server (2 retries, 2 s timeout)."""
    return OpenAIChatBackend(openai_server.base_url, "test-key", "test-model", timeout_s=2.0, max_retries=2)


@pytest.fixture
def llm_persona() -> Persona:
    """A small valid persona for speaker prompts."""
    return parse_persona(TEST_PERSONA_YAML, "tired-partner.yaml")
