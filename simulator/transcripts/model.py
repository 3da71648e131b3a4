"""Transcript data: lines, merged speaker turns, the listener's turns with their context."""

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from simulator.grader.base import GradeRequest

DEFAULT_MAX_CHARS = 5_000_000


class TranscriptError(ValueError):
    """A transcript that cannot be used; the message says why in plain words."""


class BrokenFile(TranscriptError):
    """The rest of a file cannot be read (a bad line in a stream of records)."""


class ListenerUnknown(TranscriptError):
    """Whose turns to grade cannot be decided; carries the speakers found."""

    def __init__(self, message: str, speakers: dict[str, int]):
        super().__init__(message)
        self.speakers = speakers


class Line(BaseModel):
    """One utterance as read from a file (a caption cue, a CSV row, a chat message)."""

    model_config = ConfigDict(frozen=True)

    speaker: str
    text: str
    timestamp: str | None = None


class PlainLine(NamedTuple):
    """A Line as the readers make it: their values are text already, so nothing is left to validate."""

    speaker: str
    text: str
    timestamp: str | None = None


class Turn(BaseModel):
    """Consecutive lines of one speaker, merged."""

    model_config = ConfigDict(frozen=True)

    index: int
    speaker: str
    text: str
    timestamp: str | None = None


class ListenerTurn(BaseModel):
    """A turn to grade: the listener's text and the turn before it as context."""

    model_config = ConfigDict(frozen=True)

    index: int
    speaker: str
    context: str
    text: str

    def request(self) -> GradeRequest:
        return GradeRequest(context=self.context, text=self.text)


class Transcript(BaseModel):
    """A conversation: its id, where it came from, and its merged turns."""

    id: str
    source: str
    turns: list[Turn]

    def speaker_counts(self) -> dict[str, int]:
        """Turns per speaker, in order of first appearance."""
        return dict(Counter(turn.speaker for turn in self.turns))

    def listener_turns(self, listener: str) -> list[ListenerTurn]:
        """The listener's turns, each with the turn before it as context."""
        return [
            ListenerTurn(
                index=turn.index,
                speaker=turn.speaker,
                context=self.turns[position - 1].text if position else "",
                text=turn.text,
            )
            for position, turn in enumerate(self.turns)
            if turn.speaker == listener
        ]

    def texts(self, listener: str) -> tuple[list[str], list[str]]:
        """(listener texts, everyone else's texts) for talk balance."""
        mine = [turn.text for turn in self.turns if turn.speaker == listener]
        others = [turn.text for turn in self.turns if turn.speaker != listener]
        return mine, others


def clean_text(text: str) -> str:
    """Collapse whitespace (caption line breaks, CSV newlines) into single spaces."""
    return " ".join(text.split())


def merge_lines(lines: Iterable[Line | PlainLine], max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Turn]:
    """Merge consecutive lines of one speaker into turns; stop with an error past max_chars of text."""
    return map(Turn.model_validate, merged_turns(lines, max_chars))


def merged_turns(lines: Iterable[Line | PlainLine], max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[dict]:
    """The turns of merge_lines as plain dicts, so that a whole Transcript is validated in one call."""
    speaker, parts, timestamp, index, total = None, [], None, 0, 0
    for line in lines:
        text = clean_text(line.text)
        if not text:
            continue
        total += len(text)
        if total > max_chars:
            raise TranscriptError(f"transcript is over the limit of {max_chars:,} characters of text")
        if line.speaker != speaker and parts:
            yield {"index": index, "speaker": speaker, "text": " ".join(parts), "timestamp": timestamp}
            index, parts = index + 1, []
        if not parts:
            speaker, timestamp = line.speaker, line.timestamp
        parts.append(text)
    if parts:
        yield {"index": index, "speaker": speaker, "text": " ".join(parts), "timestamp": timestamp}
