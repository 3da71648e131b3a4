"""CSV and TSV transcripts: rows read by column position, each field as csv.DictReader would give it."""

import csv
import itertools
from _csv import Reader
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from simulator.transcripts.formats import SILENT_ROLES, Columns, Part, columns_of
from simulator.transcripts.model import BrokenFile, PlainLine


class Positions(NamedTuple):
    """Where a row holds the speaker, text, timestamp and transcript id (None: no such column), and
    how many fields a row needs for all of them."""

    speaker: int
    text: int
    timestamp: int | None
    transcript_id: int | None
    width: int


def read_csv(lines: Iterable[str], delimiter: str = ",") -> Iterator[Part]:
    """CSV with a header: speaker and text columns, optional timestamp and transcript_id."""
    rows = csv.reader(lines, delimiter=delimiter)
    try:
        fieldnames = next(rows, None)
    except csv.Error as exc:
        raise unreadable_row(0, exc) from exc
    if not fieldnames:
        return
    at = positions(fieldnames, columns_of(fieldnames, "the CSV header"))
    yield from row_parts(csv_rows(rows, at.width), at)


def positions(fieldnames: list[str], columns: Columns) -> Positions:
    """The columns' positions; a header name given twice means its last column, as in DictReader's rows.
    (A 'name' column is always the speaker column, so the chat rule for 'role' and 'name' never applies.)"""
    last = {name: position for position, name in enumerate(fieldnames)}
    speaker, text = last[columns.speaker], last[columns.text]
    timestamp = None if columns.timestamp is None else last[columns.timestamp]
    transcript_id = None if columns.transcript_id is None else last[columns.transcript_id]
    used = [p for p in (speaker, text, timestamp, transcript_id) if p is not None]
    return Positions(speaker, text, timestamp, transcript_id, max(used) + 1)


def csv_rows(rows: Reader, width: int) -> Iterator[list[str | None]]:
    """The rows, blank lines left out and short rows padded with None (DictReader's rows do both),
    stopping the file at a row the csv module cannot read."""
    last_line = rows.line_num  # of the last row read whole, as DictReader.line_num counts
    try:
        for row in rows:
            if len(row) < width:
                if not row:
                    continue
                row += [None] * (width - len(row))
            last_line = rows.line_num
            yield row
    except csv.Error as exc:
        raise unreadable_row(last_line, exc) from exc


def unreadable_row(last_line: int, error: csv.Error) -> BrokenFile:
    """The line and reason of a CSV row that cannot be read (a field over the csv size limit)."""
    return BrokenFile(f"line {last_line + 1}: cannot read the CSV row ({error})")


def row_parts(rows: Iterator[list[str | None]], at: Positions) -> Iterator[Part]:
    """One Part per run of rows with the same transcript id (or one Part for all)."""
    if at.transcript_id is None:
        yield Part(None, row_lines(rows, at))
        return
    # str(): a row too short to hold the id reads as "None", as DictReader's None value did
    for key, group in itertools.groupby(rows, key=lambda row: str(row[at.transcript_id])):
        yield Part(key or None, row_lines(group, at))


def row_lines(rows: Iterable[list[str | None]], at: Positions) -> Iterator[PlainLine]:
    """Lines of the rows, skipping system/tool rows and empty text; a row without a speaker continues
    the previous speaker's turn."""
    speaker, stamp_at = "", at.timestamp
    for row in rows:
        said_by, text = (row[at.speaker] or "").strip(), (row[at.text] or "").strip()
        if not text or said_by.casefold() in SILENT_ROLES:
            continue
        speaker = said_by or speaker
        if speaker:
            yield PlainLine(speaker, text, None if stamp_at is None else row[stamp_at] or None)
