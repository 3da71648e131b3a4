"""WebVTT and SRT captions (Zoom, Teams exports): speakers from <v Name> tags or 'Name:' prefixes."""

import re
from collections.abc import Iterable, Iterator

from simulator.transcripts.formats import NamedPart, Part, named_lines, split_name
from simulator.transcripts.model import PlainLine, TranscriptError

VOICE_TAG = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
ANY_TAG = re.compile(r"<[^>]*>")
NO_SPEAKERS = (
    "captions carry no speaker names (no <v Name> tags or 'Name:' prefixes); export them with speaker names"
)


def read_vtt(lines: Iterable[str]) -> Iterator[Part]:
    """A WebVTT file as one Part."""
    yield Part(None, caption_lines(parse_captions(lines, "vtt")))


def read_srt(lines: Iterable[str]) -> Iterator[Part]:
    """An SRT file as one Part."""
    yield Part(None, caption_lines(parse_captions(lines, "srt")))


def parse_captions(lines: Iterable[str], kind: str) -> list:
    """The cues of a caption file, or a TranscriptError saying it is not one."""
    import webvtt  # the webvtt-py package reads both WebVTT and SRT
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        return webvtt.from_buffer([line.rstrip("\r\n") + "\n" for line in lines], format=kind).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise TranscriptError(f"not a valid {kind.upper()} file ({exc})") from exc


def voice_segments(raw: str) -> list[tuple[str | None, str]]:
    """(voice or None, text) pieces of one cue's raw text, split at each <v Name> tag."""
    pieces = VOICE_TAG.split(raw)
    segments = [(None, pieces[0])] + [(pieces[i].strip(), pieces[i + 1]) for i in range(1, len(pieces), 2)]
    return [(voice, " ".join(ANY_TAG.sub("", text).split())) for voice, text in segments]


def caption_parts(captions: list) -> Iterator[NamedPart]:
    """(name or None, text, cue start) for each voice segment; a 'Name:' prefix names untagged text."""
    for caption in captions:
        stamp = str(caption.start)
        for voice, text in voice_segments(caption.raw_text):
            name, text, _ = split_name(text) if voice is None else (voice, text, None)
            yield name, text, stamp


def caption_lines(captions: list) -> Iterator[PlainLine]:
    """Lines from cues; an unnamed cue continues the previous speaker; raise when none is named."""
    return named_lines(caption_parts(captions), NO_SPEAKERS)
