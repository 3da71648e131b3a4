"""Grades committed in batches: many rows per transaction, and a kill loses only the open batch."""

import sqlite3

from simulator.batch.jobdb import DB_NAME, JobDB, TurnResult
from simulator.batch.saving import ResultSaver
from simulator.batch.units import UnitResult
from tests.fakes import grade_of
from tests.test_batch_support import make_corpus, run


def pending_job(tmp_path, turns: int) -> JobDB:
    """A prepared job whose turns are all pending again (graded once, then marked pending)."""
    run([make_corpus(tmp_path / "in", transcripts=1, listener_turns=turns)], tmp_path / "out")
    db = JobDB(tmp_path / "out" / DB_NAME)
    db.conn.execute("UPDATE turns SET status = 'pending', grade = NULL WHERE listener = 1")
    return db


def statuses(tmp_path) -> list[str]:
    with sqlite3.connect(tmp_path / "out" / DB_NAME) as conn:
        rows = conn.execute("SELECT status FROM turns WHERE listener = 1 ORDER BY seq, idx")
        return [status for (status,) in rows]


def test_results_are_committed_many_per_transaction(tmp_path):
    db = pending_job(tmp_path, turns=25)
    commits = []
    db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    saver = ResultSaver(db, rows=10, seconds=3600)
    jobs = db.jobs()
    for job in jobs:
        saver.add(UnitResult([TurnResult(job.seq, job.index, grade_of("reflection"))]))
    saver.flush()
    assert len(jobs) == 25 and len(commits) == 3  # 10 + 10 + the last 5
    assert statuses(tmp_path) == ["ok"] * 25


def test_a_kill_loses_only_the_open_batch_and_the_next_run_grades_it_once(tmp_path):
    db = pending_job(tmp_path, turns=12)
    saver = ResultSaver(db, rows=5, seconds=3600)
    for job in db.jobs()[:8]:
        saver.add(UnitResult([TurnResult(job.seq, job.index, grade_of("reflection"))]))
    db.close()  # killed: the 3 buffered results were never committed
    assert statuses(tmp_path) == ["ok"] * 5 + ["pending"] * 7
    summary = run([tmp_path / "in"], tmp_path / "out")
    assert summary.resumed and summary.graded_now == 7 and summary.graded == 12
    assert statuses(tmp_path) == ["ok"] * 12
