"""The job database inside the output folder (SQLite, WAL): inputs, turns and grades, committed in batches."""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from simulator.batch.inputs import SkippedInput
from simulator.grader.base import GradeRequest
from simulator.grades import TurnGrade

DB_NAME = "job.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (file_id TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transcripts (
    seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, listener TEXT NOT NULL,
    speakers TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    seq INTEGER NOT NULL, idx INTEGER NOT NULL, speaker TEXT NOT NULL, listener INTEGER NOT NULL,
    context TEXT NOT NULL, text TEXT NOT NULL, status TEXT, grade TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (seq, idx));
CREATE INDEX IF NOT EXISTS turns_status ON turns (status);
CREATE TABLE IF NOT EXISTS skipped (n INTEGER PRIMARY KEY, input TEXT, transcript_id TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS calls (
    n INTEGER PRIMARY KEY, seq INTEGER, mode TEXT NOT NULL, turns INTEGER NOT NULL, calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL);
"""


JOB_TABLES = frozenset({"meta", "files", "transcripts", "turns", "skipped", "calls"})


def is_job_database(path: Path) -> bool:
    """Whether the file is an SQLite database with this program's job tables (opened read-only)."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    return JOB_TABLES <= names


@dataclass(frozen=True)
class TurnJob:
    """A listener turn to grade."""

    seq: int
    index: int
    context: str
    text: str

    def request(self) -> GradeRequest:
        return GradeRequest(context=self.context, text=self.text)


@dataclass(frozen=True)
class TurnResult:
    """A grade for a listener turn (ok or failed)."""

    seq: int
    index: int
    grade: TurnGrade


@dataclass(frozen=True)
class CallRecord:
    """The model calls one unit of work made, and their tokens."""

    seq: int | None
    mode: str
    turns: int
    calls: int
    input_tokens: int
    output_tokens: int


class StoredTranscript(NamedTuple):
    seq: int
    id: str
    source: str
    listener: str
    speakers: dict[str, int]


class StoredTurn(NamedTuple):
    seq: int
    index: int
    speaker: str
    listener: bool
    context: str
    text: str
    grade: TurnGrade | None


class GradeJSON:
    """Grades as stored JSON, each grade object encoded once (the offline grader shares equal grades)."""

    def __init__(self) -> None:
        self.by_object: dict[int, tuple[TurnGrade, str]] = {}

    def __call__(self, grade: TurnGrade) -> str:
        known = self.by_object.get(id(grade))
        if known is None:
            known = self.by_object[id(grade)] = (grade, grade.model_dump_json())
        return known[1]


class ParsedGrades:
    """Stored grade JSON parsed into (immutable) grades, equal texts parsed once; at most `size` kept."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.by_text: dict[str, TurnGrade] = {}

    def __call__(self, text: str) -> TurnGrade:
        grade = self.by_text.get(text)
        if grade is None:
            grade = TurnGrade.model_validate_json(text)
            if len(self.by_text) < self.size:
                self.by_text[text] = grade
        return grade


@dataclass(frozen=True)
class Progress:
    total: int
    ok: int
    failed: int

    @property
    def pending(self) -> int:
        return self.total - self.ok - self.failed


class JobDB:
    """One batch job's state; every write method commits its own transaction."""

    def __init__(self, path: Path):
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def transaction(self):
        """A context manager that commits on success and rolls back on error."""
        return _Transaction(self.conn)

    # ----- job description

    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    def files(self) -> dict[str, str]:
        """file id -> sha256 of the inputs the job was prepared from."""
        return dict(self.conn.execute("SELECT file_id, sha256 FROM files"))

    def prepare(
        self, meta: dict[str, str], files: Iterable[tuple[str, str, str]], transcripts, skipped
    ) -> None:
        """Store the job description, its transcripts and skipped inputs in one transaction."""
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            self.conn.executemany("INSERT INTO files VALUES (?, ?, ?)", files)
            for prepared in transcripts:
                self._insert_transcript(prepared)
            self.conn.executemany(
                "INSERT INTO skipped (input, transcript_id, reason) VALUES (?, ?, ?)",
                [(s.input, s.transcript_id, s.reason) for s in skipped],
            )
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('prepared', '1')")

    def _insert_transcript(self, prepared) -> None:
        transcript, listener = prepared.transcript, prepared.listener
        cursor = self.conn.execute(
            "INSERT INTO transcripts (id, source, listener, speakers) VALUES (?, ?, ?, ?)",
            (transcript.id, transcript.source, listener, json.dumps(transcript.speaker_counts())),
        )
        rows = []
        for position, turn in enumerate(transcript.turns):
            mine = turn.speaker == listener
            context = transcript.turns[position - 1].text if position else ""
            rows.append(
                (
                    cursor.lastrowid,
                    turn.index,
                    turn.speaker,
                    int(mine),
                    context,
                    turn.text,
                    "pending" if mine else None,
                )
            )
        self.conn.executemany(
            "INSERT INTO turns (seq, idx, speaker, listener, context, text, status) VALUES (?,?,?,?,?,?,?)",
            rows,
        )

    # ----- grading

    def jobs(self) -> list[TurnJob]:
        """Listener turns still to grade (never graded, or failed before), in transcript order."""
        rows = self.conn.execute(
            "SELECT seq, idx, context, text FROM turns WHERE status IN ('pending', 'failed') "
            "ORDER BY seq, idx"
        )
        return [TurnJob(*row) for row in rows]

    def transcript_turns(self, seq: int) -> list[tuple[int, str, bool, str]]:
        """(index, speaker, is listener, text) of every turn of a transcript."""
        rows = self.conn.execute(
            "SELECT idx, speaker, listener, text FROM turns WHERE seq = ? ORDER BY idx", (seq,)
        )
        return [(idx, speaker, bool(mine), text) for idx, speaker, mine, text in rows]

    def save(self, results: list[TurnResult], calls: Iterable[CallRecord] = ()) -> None:
        """Commit grades (and the model calls that made them) in one transaction."""
        encoded = GradeJSON()
        with self.transaction():
            self.conn.executemany(
                "UPDATE turns SET status = ?, grade = ?, attempts = attempts + 1 WHERE seq = ? AND idx = ?",
                [(r.grade.status, encoded(r.grade), r.seq, r.index) for r in results],
            )
            self.conn.executemany(
                "INSERT INTO calls (seq, mode, turns, calls, input_tokens, output_tokens) "
                "VALUES (?,?,?,?,?,?)",
                [(c.seq, c.mode, c.turns, c.calls, c.input_tokens, c.output_tokens) for c in calls],
            )

    def progress(self) -> Progress:
        row = self.conn.execute(
            "SELECT COUNT(*), SUM(status = 'ok'), SUM(status = 'failed') FROM turns WHERE listener = 1"
        ).fetchone()
        return Progress(row[0], row[1] or 0, row[2] or 0)

    # ----- reading results

    def transcripts(self) -> Iterator[StoredTranscript]:
        """Every transcript, in order."""
        for seq, tid, source, listener, speakers in self.conn.execute(
            "SELECT seq, id, source, listener, speakers FROM transcripts ORDER BY seq"
        ):
            yield StoredTranscript(seq, tid, source, listener, json.loads(speakers))

    def turns(self) -> Iterator[StoredTurn]:
        """Every turn with its grade (None for the other speakers and ungraded turns), in order."""
        parsed = ParsedGrades()
        for seq, idx, speaker, mine, context, text, grade in self.conn.execute(
            "SELECT seq, idx, speaker, listener, context, text, grade FROM turns ORDER BY seq, idx"
        ):
            yield StoredTurn(seq, idx, speaker, bool(mine), context, text, parsed(grade) if grade else None)

    def skipped(self) -> list[SkippedInput]:
        rows = self.conn.execute("SELECT input, transcript_id, reason FROM skipped ORDER BY n")
        return [SkippedInput(*row) for row in rows]

    def token_usage(self) -> dict[str, dict[str, int]]:
        """mode -> {calls, turns, input_tokens, output_tokens}."""
        rows = self.conn.execute(
            "SELECT mode, SUM(calls), SUM(turns), SUM(input_tokens), SUM(output_tokens) "
            "FROM calls GROUP BY mode ORDER BY mode"
        )
        keys = ("calls", "turns", "input_tokens", "output_tokens")
        return {mode: dict(zip(keys, values, strict=True)) for mode, *values in rows}


class _Transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *rest) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
