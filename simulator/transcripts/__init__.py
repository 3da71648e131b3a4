"""Read transcripts (JSONL chat, CSV, 'Name: line' text, WebVTT/SRT captions) into speaker turns."""

from simulator.transcripts.listener import choose_listener
from simulator.transcripts.model import (
    DEFAULT_MAX_CHARS,
    Line,
    ListenerTurn,
    ListenerUnknown,
    Transcript,
    TranscriptError,
    Turn,
    merge_lines,
)
from simulator.transcripts.reading import (
    SUPPORTED,
    Unusable,
    is_supported,
    load_transcript,
    read_file,
    unsupported_reason,
)

__all__ = [
    "DEFAULT_MAX_CHARS",
    "SUPPORTED",
    "Line",
    "ListenerTurn",
    "ListenerUnknown",
    "Transcript",
    "TranscriptError",
    "Turn",
    "Unusable",
    "choose_listener",
    "is_supported",
    "load_transcript",
    "merge_lines",
    "read_file",
    "unsupported_reason",
]
