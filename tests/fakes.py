"""Fakes at our own seams (Grader, Speaker) that record what they were asked."""

from collections.abc import Iterator

from simulator.grader.base import GradeRequest
from simulator.grades import TurnGrade
from simulator.labels import Label
from simulator.personas import Persona
from simulator.speaker.base import SpeakerRequest


def grade_of(*labels: str, score: float = 3.0, grader: str = "fake@1") -> TurnGrade:
    """An ok grade whose first label is primary."""
    return TurnGrade(
        labels=[Label(x) for x in labels],
        primary=Label(labels[0]),
        score=score,
        rationale="fake",
        grader=grader,
    )


class FakeGrader:
    """Returns enqueued grades in order (or a fixed default) and records every request."""

    def __init__(self, default: TurnGrade | None = None, name: str = "fake@1"):
        self.name = name
        self.default = default or grade_of("reflection", grader=name)
        self.queue: list[TurnGrade | Exception] = []
        self.requests: list[GradeRequest] = []

    def enqueue(self, *items: TurnGrade | Exception) -> "FakeGrader":
        self.queue.extend(items)
        return self

    def grade(self, request: GradeRequest) -> TurnGrade:
        self.requests.append(request)
        item = self.queue.pop(0) if self.queue else self.default
        if isinstance(item, Exception):
            raise item
        return item

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        return [self.grade(request) for request in requests]


class FakeSpeaker:
    """Says 'reply N'; fails on the turns listed in `fail_on` (after yielding a piece)."""

    name = "fake-speaker"

    def __init__(self, fail_on: set[int] | None = None):
        self.fail_on = set(fail_on or ())
        self.requests: list[SpeakerRequest] = []

    def opening(self, persona: Persona) -> str:
        return persona.lines.opening

    def stream_reply(self, request: SpeakerRequest) -> Iterator[str]:
        self.requests.append(request)
        yield "reply "
        if len(self.requests) in self.fail_on:
            raise ConnectionError("model server went away")
        yield str(len(self.requests))
