"""Readers, one per format, from text lines to Parts (one conversation's lines each), streaming."""

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from simulator.transcripts.model import BrokenFile, PlainLine, TranscriptError

ID_KEYS = ("transcript_id", "conversation_id", "session_id", "call_id")
SPEAKER_KEYS = ("speaker", "name", "interlocutor", "role", "author", "from", "participant")
TEXT_KEYS = ("text", "content", "utterance_text", "utterance", "message", "transcript")
TIME_KEYS = ("timestamp", "time", "start", "start_time")
SILENT_ROLES = frozenset({"system", "developer", "tool", "function"})
TIMESTAMP = re.compile(r"^\s*\[?\(?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\)?\]?\s*[-–]?\s*")
MAX_NAME_WORDS = 4
NAME_LINE = re.compile(r"^(?P<name>[^\W\d_][\w .'’()&/-]{0,47}?)\s*:\s*(?P<text>.*)$")


@dataclass
class Part:
    """One conversation inside a file: its in-file key (None when the file is one conversation)
    and its lines (a lazy iterator: read it before taking the next part)."""

    key: str | None
    lines: Iterable[PlainLine] = ()
    error: str | None = None


@dataclass
class Columns:
    """Which record fields hold the speaker, text, timestamp and transcript id."""

    speaker: str
    text: str
    timestamp: str | None = None
    transcript_id: str | None = None
    extra: dict = field(default_factory=dict)


def first_key(keys: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    """The first of `wanted` present in `keys`, case-insensitively; returns the key as spelled."""
    folded = {key.strip().casefold(): key for key in keys if key}
    return next((folded[name] for name in wanted if name in folded), None)


def columns_of(keys: Iterable[str], where: str) -> Columns:
    """Map a header (or a record's keys) to Columns, or say which column is missing."""
    keys = list(keys)
    speaker, text = first_key(keys, SPEAKER_KEYS), first_key(keys, TEXT_KEYS)
    missing = [name for name, found in (("speaker", speaker), ("text", text)) if found is None]
    if missing:
        found = ", ".join(repr(key) for key in keys) or "none"
        raise TranscriptError(
            f"{where} has no {' or '.join(repr(m) for m in missing)} column (found: {found})"
        )
    return Columns(speaker, text, first_key(keys, TIME_KEYS), first_key(keys, ID_KEYS))


def content_text(content: object) -> str:
    """Message content as text: a string, or the text parts of an OpenAI content list."""
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def record_line(record: dict, columns: Columns) -> PlainLine | None:
    """A line from a JSON record (an empty speaker is filled in by the caller); None for system/tool
    messages and empty text."""
    speaker = str(record.get(columns.speaker) or "").strip()
    if "name" in record and record.get("name") and columns.speaker == "role":
        speaker = str(record["name"]).strip()
    text = content_text(record.get(columns.text)).strip()
    if not text or speaker.casefold() in SILENT_ROLES:
        return None
    stamp = record.get(columns.timestamp) if columns.timestamp else None
    return PlainLine(speaker, text, str(stamp) if stamp not in (None, "") else None)


def grouped_parts(records: Iterator[dict], columns: Columns) -> Iterator[Part]:
    """One Part per run of records with the same transcript id (or one Part for all)."""
    if columns.transcript_id is None:
        yield Part(None, lines_of(records, columns))
        return
    for key, group in itertools.groupby(
        records, key=lambda record: str(record.get(columns.transcript_id, ""))
    ):
        yield Part(key or None, lines_of(group, columns))


def lines_of(records: Iterable[dict], columns: Columns) -> Iterator[PlainLine]:
    """Lines of the records; a row without a speaker continues the previous speaker's turn."""
    speaker = ""
    for record in records:
        line = record_line(record, columns)
        if line is None:
            continue
        speaker = line.speaker or speaker
        if speaker:
            yield line if line.speaker else line._replace(speaker=speaker)


# ----- JSONL


def json_records(lines: Iterable[str]) -> Iterator[tuple[int, dict | str]]:
    """(line number, record) for each non-blank line; the record is an error text when unreadable."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            yield number, f"line {number}: not valid JSON ({json_reason(exc)})"
            continue
        yield number, record if isinstance(record, dict) else f"line {number}: expected a JSON object"


def json_reason(error: ValueError | RecursionError) -> str:
    """Why a line is not JSON we can read, in plain words."""
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    if isinstance(error, RecursionError):
        return "nested too deep"
    return "a number with too many digits"


def read_jsonl(lines: Iterable[str]) -> Iterator[Part]:
    """JSONL: one {"messages": [...]} conversation per line, or one message/{speaker, text} per line."""
    records = json_records(lines)
    first = next(records, None)
    if first is None:
        return
    records = itertools.chain([first], records)
    if isinstance(first[1], dict) and "messages" in first[1]:
        yield from conversation_parts(records)
    else:
        yield from message_parts(records)


def conversation_parts(records: Iterator[tuple[int, dict | str]]) -> Iterator[Part]:
    """One Part per line holding a whole conversation."""
    for number, record in records:
        if isinstance(record, str) or not isinstance(record.get("messages"), list):
            yield Part(
                f"line{number}",
                error=record if isinstance(record, str) else f"line {number}: no 'messages' list",
            )
            continue
        key = next(
            (str(record[k]) for k in ("id", *ID_KEYS) if record.get(k) not in (None, "")), f"line{number}"
        )
        messages = [m for m in record["messages"] if isinstance(m, dict)]
        yield Part(key, lines_of(messages, Columns(speaker="role", text="content")))


def message_parts(records: Iterator[tuple[int, dict | str]]) -> Iterator[Part]:
    """Parts from one message per line (grouped by a transcript id field when there is one)."""
    number, first = next(records)
    if isinstance(first, str):
        raise TranscriptError(first)
    columns = columns_of(first.keys(), f"line {number}")
    yield from grouped_parts(checked_records(itertools.chain([(number, first)], records), columns), columns)


def checked_records(records: Iterable[tuple[int, dict | str]], columns: Columns) -> Iterator[dict]:
    """Records, stopping the file with the line number at the first unreadable one."""
    for number, record in records:
        if isinstance(record, str):
            raise BrokenFile(record)
        if columns.text not in record and columns.speaker not in record:
            raise BrokenFile(f"line {number}: needs {columns.speaker!r} and {columns.text!r}")
        yield record


# ----- plain text


def read_text(lines: Iterable[str]) -> Iterator[Part]:
    """'Name: what they said' lines; a line without a name continues the previous speaker."""
    yield Part(None, named_lines(map(split_name, lines), "no 'Name: text' lines found"))


def split_name(raw: str) -> tuple[str | None, str, str | None]:
    """(speaker or None, text, timestamp) of one line, a leading timestamp stripped."""
    stamp_match = TIMESTAMP.match(raw)
    stamp = stamp_match.group(0).strip(" []()-–") if stamp_match and stamp_match.group(0).strip() else None
    rest = raw[stamp_match.end() :] if stamp else raw
    match = NAME_LINE.match(rest.strip())
    if match and match.group("text").strip() and plausible_name(match.group("name"), rest):
        return match.group("name").strip(), match.group("text").strip(), stamp
    return None, rest.strip(), stamp


def plausible_name(name: str, line: str) -> bool:
    """A speaker name has at most MAX_NAME_WORDS words and is not the start of a URL."""
    return len(name.split()) <= MAX_NAME_WORDS and not line.lstrip()[len(name) :].startswith("://")


NamedPart = tuple[str | None, str, str | None]


def named_lines(parts: Iterable[NamedPart], none_found: str) -> Iterator[PlainLine]:
    """Lines from (name or None, text, timestamp) parts; an unnamed part joins the previous speaker;
    raise when no part is named."""
    speaker, named = None, False
    for name, text, stamp in parts:
        if name:
            speaker, named = name, True
        if speaker and text:
            yield PlainLine(speaker, text, stamp)
    if not named:
        raise TranscriptError(none_found)
