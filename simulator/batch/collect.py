"""Read every input file into transcripts with their listener; what cannot be used becomes a skipped row."""

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from simulator.batch.inputs import InputFile, SkippedInput, unreadable_reason
from simulator.transcripts import Transcript, TranscriptError, Unusable, choose_listener, read_file


@dataclass(frozen=True)
class PreparedTranscript:
    """A transcript to grade and whose turns are graded."""

    transcript: Transcript
    listener: str


@dataclass
class Collected:
    """The transcripts to grade, in order, and what could not be used."""

    transcripts: list[PreparedTranscript]
    skipped: list[SkippedInput]


def collect(
    files: Sequence[InputFile],
    listeners: Sequence[str],
    max_chars: int,
    on_file: Callable[[InputFile], None] = lambda file: None,
) -> Collected:
    """Transcripts of all files in order; duplicates, unreadable parts and unclear listeners are skipped."""
    collected, first_seen = Collected([], []), {}
    with cycle_collector_paused():
        for input_file in files:
            try:
                for result in read_file(input_file.path, input_file.file_id, max_chars):
                    add_result(collected, first_seen, input_file, result, listeners)
            except OSError as exc:  # removed or made unreadable after it was found
                collected.skipped.append(unreadable(input_file, exc))
            on_file(input_file)
    return collected


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while transcripts are read: the turns kept are many and hold
    no reference cycles, so its full passes over them (about half the reading time) free nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def unreadable(input_file: InputFile, exc: OSError) -> SkippedInput:
    """The skipped row for a file that could not be opened or read any more."""
    return SkippedInput(str(input_file.path), input_file.file_id, unreadable_reason(exc))


def add_result(
    collected: Collected, first_seen: dict[str, str], input_file: InputFile, result, listeners
) -> None:
    """Add one read result (a Transcript or Unusable) to what was collected."""
    where = str(input_file.path)
    if isinstance(result, Unusable):
        collected.skipped.append(SkippedInput(where, result.transcript_id, result.reason))
        return
    if result.id in first_seen:
        first = first_seen[result.id]
        reason = f"duplicate transcript id {result.id!r} (first read from {first}); rename one of them"
        collected.skipped.append(SkippedInput(where, result.id, reason))
        return
    first_seen[result.id] = where
    try:
        listener = choose_listener(result.speaker_counts(), listeners)
    except TranscriptError as exc:
        collected.skipped.append(SkippedInput(where, result.id, str(exc)))
        return
    collected.transcripts.append(PreparedTranscript(result, listener))
