"""Read a transcript file of any supported format into Transcripts, or say why a part is unusable."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from simulator.transcripts.captions import read_srt, read_vtt
from simulator.transcripts.formats import Part, read_jsonl, read_text
from simulator.transcripts.model import (
    DEFAULT_MAX_CHARS,
    BrokenFile,
    Transcript,
    TranscriptError,
    merged_turns,
)
from simulator.transcripts.tables import read_csv

Reader = Callable[[Iterable[str]], Iterator[Part]]
READERS: dict[str, Reader] = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".tsv": partial(read_csv, delimiter="\t"),
    ".txt": read_text,
    ".text": read_text,
    ".vtt": read_vtt,
    ".srt": read_srt,
}
WHOLE_FILE_SUFFIXES = frozenset({".vtt", ".srt"})
SUPPORTED = ", ".join(sorted(READERS))


@dataclass(frozen=True)
class Unusable:
    """A transcript (or a whole file) that could not be used, with the reason."""

    transcript_id: str
    reason: str


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_file(
    path: Path, file_id: str, max_chars: int = DEFAULT_MAX_CHARS
) -> Iterator[Transcript | Unusable]:
    """Every conversation in the file, streaming; unusable ones (and a broken file) come back as Unusable."""
    problem = file_problem(path, max_chars)
    if problem:
        yield Unusable(file_id, problem)
        return
    found = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            for part in READERS[path.suffix.lower()](stream):
                found += 1
                yield part_transcript(part, path, file_id, max_chars)
    except TranscriptError as exc:
        yield Unusable(file_id, stopped_reason(str(exc), found))
        return
    except UnicodeDecodeError as exc:
        yield Unusable(file_id, stopped_reason(f"not UTF-8 text ({exc.reason}); save it as UTF-8", found))
        return
    if not found:
        yield Unusable(file_id, "no conversation found in the file")


def stopped_reason(reason: str, parts_read: int) -> str:
    """The reason, saying how far a multi-conversation file was read before it."""
    return f"{reason} (reading stopped after {parts_read - 1} conversation(s))" if parts_read > 1 else reason


def unsupported_reason(path: Path) -> str:
    return f"unknown extension {path.suffix or '(none)'!r}; supported: {SUPPORTED}"


def file_problem(path: Path, max_chars: int) -> str | None:
    """Why a file cannot be read at all, checked before reading it."""
    if not is_supported(path):
        return unsupported_reason(path)
    size = path.stat().st_size
    if size == 0:
        return "empty file"
    if path.suffix.lower() in WHOLE_FILE_SUFFIXES and size > 4 * max_chars:
        return f"caption file is {size / 1e6:.1f} MB, over the limit of {4 * max_chars / 1e6:.0f} MB"
    return None


def part_transcript(part: Part, path: Path, file_id: str, max_chars: int) -> Transcript | Unusable:
    """The Transcript of one part, or Unusable with the reason (the part's lines are read here)."""
    transcript_id = file_id if part.key is None else f"{file_id}#{part.key}"
    if part.error:
        return Unusable(transcript_id, part.error)
    try:
        turns = list(merged_turns(part.lines, max_chars))
    except TranscriptError as exc:
        if part.key is None or isinstance(exc, BrokenFile):
            raise
        return Unusable(transcript_id, str(exc))
    if not turns:
        return Unusable(transcript_id, "no turns with text")
    return Transcript.model_validate({"id": transcript_id, "source": str(path), "turns": turns})


def load_transcript(path: Path, max_chars: int = DEFAULT_MAX_CHARS) -> Transcript:
    """The single conversation of a file; raises TranscriptError when there is not exactly one usable."""
    results = list(read_file(Path(path), Path(path).name, max_chars))
    for result in results:
        if isinstance(result, Unusable):
            raise TranscriptError(f"{result.transcript_id}: {result.reason}")
    if len(results) != 1:
        raise TranscriptError(f"{Path(path).name} holds {len(results)} conversations; expected one")
    return results[0]
