"""Benchmark the cohort dashboard: every query a facilitator's page and exports run, on a full cohort.

Usage: python benchmarks/bench_cohort.py [--learners 200] [--assignments 10] [--turns 200] [--runs 5]
                                         [--overrides 1000] [--only sqlite|postgresql]

Builds one cohort of 200 learners with 10 assignments and one session per learner and assignment
(2,000 sessions of 200 turns: 400,000 turns, a fast and a feedback grade on each learner turn,
realistic metrics JSON on each ended session, facilitator overrides on some turns), inserted in bulk
with SQLAlchemy core into a migrated store: a SQLite file, and a database on a throwaway PostgreSQL
cluster started the way the tests start theirs. Then times each query (after one warm-up run) and
prints the medians of `--runs` runs as a Markdown table: on SQLite with no statistics (as a bulk load
leaves it), reopened (open_store's sampled ANALYZE) and after a full ANALYZE; on PostgreSQL after
ANALYZE (autovacuum's analyze would run within a minute of such a load, in the middle of the timings).
Targets: each dashboard query under 0.5 s, the gradebook export under 2 s.
"""

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from simulator.accounts import actor_by_id  # noqa: E402
from simulator.cohort_report import write_gradebook  # noqa: E402
from simulator.cohorts import OPERATOR, learner_assignments  # noqa: E402
from simulator.dashboard import (  # noqa: E402
    _attempts,
    _progress,
    cohort_dashboard,
    cohort_learners,
    cohort_sessions,
    common_roadblocks,
    gradebook_rows,
    learner_skills,
)
from simulator.grades import TurnGrade  # noqa: E402
from simulator.labels import Label  # noqa: E402
from simulator.recording import utc_now  # noqa: E402
from simulator.reviews import agreement, cohort_overrides  # noqa: E402
from simulator.scoring import session_metrics  # noqa: E402
from simulator.store import load_session, open_store  # noqa: E402
from simulator.store.models import (  # noqa: E402
    AssignmentRow,
    CohortRow,
    GradeOverrideRow,
    GradeRow,
    MembershipRow,
    SessionRow,
    TurnRow,
    UserRow,
)
from tests.fixtures_db import PG_BIN, _admin, free_port, make_cluster_dir, run_tool  # noqa: E402

PERSONAS = ["stressed-partner", "quiet-employee", "frustrated-client", "defensive-report", "anxious-new-hire"]
LEARNER_LINES = [
    "It sounds like you've had a horrible week and nobody noticed how much you were carrying.",
    "What's been the hardest part of it for you?",
    "That makes sense, with everything landing on you at once.",
    "Have you thought about talking to your manager about the workload?",
    "You're worried something is changing and you can't put your finger on it.",
    "At least the project is nearly over, right?",
    "Did you tell anyone?",
    "When that happened to me I just took a long weekend off.",
]
PERSONA_LINES = [
    "I don't know, it's just been a lot lately and I keep thinking I should be coping better.",
    "Mm. I guess so.",
    "It's not the work itself, it's that nobody seems to notice when I stay late every night.",
    "Yeah. That's exactly it, actually. I hadn't said it out loud before.",
]
LABEL_WEIGHTS = {
    Label.REFLECTION: 5,
    Label.VALIDATION: 3,
    Label.OPEN_QUESTION: 4,
    Label.CLOSED_QUESTION: 2,
    Label.ADVICE: 2,
    Label.REASSURANCE: 1,
    Label.SELF_FOCUS: 1,
    Label.OTHER: 1,
}
SCORES = {Label.REFLECTION: 4.5, Label.VALIDATION: 4.0, Label.OPEN_QUESTION: 4.0, Label.ADVICE: 2.0}
CHUNK = 20_000
OPEN_SHARE = 0.05  # sessions still open (no metrics yet)


def chunks(rows: list[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bulk_insert(engine: Engine, table, rows: list[dict]) -> None:
    with engine.begin() as connection:
        for part in chunks(rows):
            connection.execute(insert(table), part)


def grade_of(label: Label, rng: random.Random) -> TurnGrade:
    score = SCORES.get(label, 3.0) + rng.choice([-0.5, 0.0, 0.5])
    return TurnGrade(
        labels=[label],
        primary=label,
        score=min(max(score, 1.0), 5.0),
        rationale="The turn restates what they said and checks the feeling underneath it.",
        suggestion="It sounds like you feel nobody sees how much you are holding.",
        grader="offline@bench",
    )


class CohortData:
    """The synthetic cohort, as rows ready for bulk insert (built once, inserted into each database)."""

    def __init__(self, learners: int, assignments: int, turns: int, overrides: int, seed: int = 7):
        rng, now = random.Random(seed), utc_now()
        self.now, self.turns_per_session = now, turns
        self.facilitator_id = uuid.uuid4().hex
        self.learner_ids = [uuid.uuid4().hex for _ in range(learners)]
        self.users = [self.user(self.facilitator_id, "fran", "facilitator")]
        self.users += [self.user(uid, f"learner{n:03d}", "learner") for n, uid in enumerate(self.learner_ids)]
        self.cohort = {"id": 1, "name": "Leads 2027", "join_code": "BENCH234", "created_by": "operator"}
        self.cohort.update(code_expires_at=now + timedelta(days=30), created_at=now)
        self.memberships = [self.member(self.facilitator_id, "facilitator")]
        self.memberships += [self.member(uid, "learner") for uid in self.learner_ids]
        self.assignments = [self.assignment(n) for n in range(1, assignments + 1)]
        self.sessions, self.turns, self.grades = [], [], []
        labels, weights = list(LABEL_WEIGHTS), list(LABEL_WEIGHTS.values())
        for learner_id in self.learner_ids:
            for assignment in self.assignments:
                self.add_session(learner_id, assignment, rng, labels, weights)
        learner_turn_ids = [t["id"] for t in self.turns if t["role"] == "learner"]
        chosen = rng.sample(learner_turn_ids, min(overrides, len(learner_turn_ids)))
        self.overrides = [self.override(n, turn_id, rng) for n, turn_id in enumerate(chosen, start=1)]

    def user(self, user_id: str, name: str, role: str) -> dict:
        return {"id": user_id, "username": name, "role": role, "created_at": self.now}

    def member(self, user_id: str, role: str) -> dict:
        return {"cohort_id": 1, "user_id": user_id, "role": role, "joined_at": self.now}

    def assignment(self, number: int) -> dict:
        criteria = [{"min_mean_score": 3.5}, {"breakthrough": True}, {"max_roadblock_rate": 0.2}][number % 3]
        return {
            "id": number,
            "cohort_id": 1,
            "persona_id": PERSONAS[(number - 1) % len(PERSONAS)],
            "due_at": self.now + timedelta(days=7 * number - 30),
            "criteria": criteria,
            "max_attempts": 3,
            "created_by": self.facilitator_id,
            "created_at": self.now,
        }

    def add_session(self, learner_id: str, assignment: dict, rng: random.Random, labels, weights) -> None:
        session_id = uuid.uuid4().hex
        started = self.now - timedelta(days=rng.uniform(0, 60))
        learner_labels = rng.choices(labels, weights, k=self.turns_per_session // 2)
        grades = [grade_of(label, rng) for label in learner_labels]
        openness = [round(min(1.0, 0.3 + 0.006 * n), 3) for n in range(len(grades))]
        for index in range(self.turns_per_session):
            self.add_turn(session_id, index, started, grades, openness, rng)
        ended = rng.random() > OPEN_SHARE
        texts = [turn["text"] for turn in self.turns[-self.turns_per_session :]]
        metrics = session_metrics(grades, texts[1::2], texts[0::2], openness, breakthrough_turn=None)
        self.sessions.append(
            {
                "id": session_id,
                "user_id": learner_id,
                "assignment_id": assignment["id"],
                "persona_id": assignment["persona_id"],
                "persona_hash": "",
                "speaker": "scripted",
                "grader": "offline@bench",
                "seed": 0,
                "started_at": started,
                "ended_at": started + timedelta(minutes=25) if ended else None,
                "metrics": metrics.model_dump(mode="json") if ended else None,
            }
        )

    def add_turn(self, session_id: str, index: int, started, grades, openness, rng: random.Random) -> None:
        turn_id, role = len(self.turns) + 1, "learner" if index % 2 else "persona"
        learner_number = index // 2
        self.turns.append(
            {
                "id": turn_id,
                "session_id": session_id,
                "turn_index": index,
                "role": role,
                "text": rng.choice(LEARNER_LINES if role == "learner" else PERSONA_LINES),
                "openness": openness[learner_number] if role == "learner" else None,
                "created_at": started + timedelta(seconds=7 * index),
            }
        )
        if role == "learner":
            for kind in ("fast", "feedback"):
                self.grades.append(self.grade_row(turn_id, kind, grades[learner_number]))

    def grade_row(self, turn_id: int, kind: str, grade: TurnGrade) -> dict:
        return {
            "id": len(self.grades) + 1,
            "turn_id": turn_id,
            "kind": kind,
            "status": "ok",
            "labels": [label.value for label in grade.labels],
            "primary_label": grade.primary.value,
            "score": grade.score,
            "rationale": grade.rationale,
            "suggestion": grade.suggestion,
            "grader": grade.grader,
            "error": None,
            "graded_at": self.now,
        }

    def override(self, number: int, turn_id: int, rng: random.Random) -> dict:
        primary = rng.choice([Label.ADVICE, Label.REFLECTION, Label.VALIDATION])
        return {
            "id": number,
            "turn_id": turn_id,
            "by_user_id": self.facilitator_id,
            "labels": [primary.value],
            "primary_label": primary.value,
            "score": 3.0,
            "reason": "Closer to a fix than a reflection: it tells them what to do.",
            "ai_primary": rng.choice([Label.ADVICE, Label.REFLECTION]).value,
            "created_at": self.now,
        }

    def insert_into(self, engine: Engine) -> None:
        for table, rows in (
            (UserRow, self.users),
            (CohortRow, [self.cohort]),
            (MembershipRow, self.memberships),
            (AssignmentRow, self.assignments),
            (SessionRow, self.sessions),
            (TurnRow, self.turns),
            (GradeRow, self.grades),
            (GradeOverrideRow, self.overrides),
        ):
            bulk_insert(engine, table.__table__, rows)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster on 127.0.0.1 for this run (as the tests' fixture starts one); its base URL."""
    root, port = make_cluster_dir(), free_port()
    data = root / "data"
    run_tool(
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run_tool([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o", options, "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        run_tool([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def median_seconds(call: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_session(engine: Engine, query: Callable[[Session], object]) -> Callable[[], object]:
    def call():
        with Session(engine) as db:
            return query(db)

    return call


def timed_queries(engine: Engine, data: CohortData, out: Path) -> dict[str, Callable[[], object]]:
    """Each query of the dashboard and its exports, ready to call."""
    ids = [a["id"] for a in data.assignments]
    board = cohort_dashboard(engine, OPERATOR, 1)
    sessions, learners = board.sessions, board.learners
    attempts = _attempts(sessions)
    overrides = in_session(engine, lambda db: cohort_overrides(db, 1))()
    learner = actor_by_id(engine, data.learner_ids[0])
    facilitator = actor_by_id(engine, data.facilitator_id)
    longest = data.sessions[0]["id"]
    return {
        "cohort_dashboard (whole)": lambda: cohort_dashboard(engine, OPERATOR, 1),
        "· cohort_learners": in_session(engine, lambda db: cohort_learners(db, 1)),
        "· cohort_sessions (every session row + metrics)": in_session(
            engine, lambda db: cohort_sessions(db, ids)
        ),
        "· cohort_overrides": in_session(engine, lambda db: cohort_overrides(db, 1)),
        "· progress (pure)": lambda: _progress(board.assignments, learners, attempts, utc_now()),
        "· learner_skills (pure)": lambda: learner_skills(sessions),
        "· common_roadblocks (pure)": lambda: common_roadblocks(sessions),
        "· agreement (pure)": lambda: agreement(overrides),
        "learner_assignments (one learner)": lambda: learner_assignments(engine, learner),
        "load_session (one transcript, facilitator)": lambda: load_session(engine, longest, facilitator),
        "gradebook rows (pure)": lambda: gradebook_rows(board),
        "gradebook export (dashboard + CSV)": lambda: write_gradebook(
            cohort_dashboard(engine, OPERATOR, 1), out / "gradebook.csv"
        ),
    }


def time_queries(engine: Engine, data: CohortData, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        queries = timed_queries(engine, data, Path(out))
        return {label: median_seconds(call, runs) for label, call in queries.items()}


def gather_statistics(engine: Engine) -> None:
    """ANALYZE: the planner's table statistics (PostgreSQL's autovacuum gathers them soon after a bulk
    load; SQLite only when asked)."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def measure(name: str, url: str, data: CohortData, runs: int, before_analyze: bool) -> dict[str, dict]:
    """Medians per query after loading the cohort: with the planner's statistics, and (when
    `before_analyze`) first without them, as the store is left after a bulk load."""
    engine = open_store(url)
    start = time.perf_counter()
    data.insert_into(engine)
    print(f"{name}: inserted in {time.perf_counter() - start:.1f} s", flush=True)
    results = {}
    if before_analyze:
        results[f"{name}, no statistics"] = time_queries(engine, data, runs)
        engine.dispose()
        engine = open_store(url)  # opening the store refreshes SQLite's statistics (a sampled ANALYZE)
        results[f"{name}, reopened"] = time_queries(engine, data, runs)
    gather_statistics(engine)
    results[f"{name}, after ANALYZE"] = time_queries(engine, data, runs)
    engine.dispose()
    return results


def print_table(results: dict[str, dict[str, float]]) -> None:
    names = list(results)
    print("| query | " + " | ".join(f"{name} median" for name in names) + " |")
    print("|---|" + "---:|" * len(names))
    for label in next(iter(results.values())):
        cells = " | ".join(f"{1000 * results[name][label]:.1f} ms" for name in names)
        print(f"| {label} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--assignments", type=int, default=10)
    parser.add_argument("--turns", type=int, default=200, help="Turns per session (half of them learner's).")
    parser.add_argument("--overrides", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    start = time.perf_counter()
    data = CohortData(args.learners, args.assignments, args.turns, args.overrides)
    print(
        f"{len(data.learner_ids)} learners, {len(data.assignments)} assignments, "
        f"{len(data.sessions)} sessions, {len(data.turns)} turns, {len(data.grades)} grades, "
        f"{len(data.overrides)} overrides "
        f"(built in {time.perf_counter() - start:.1f} s)",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "sqlite"):
            results |= measure("SQLite", f"sqlite:///{folder}/bench.db", data, args.runs, True)
    if args.only in (None, "postgresql"):
        with throwaway_postgres() as server:
            _admin(server, 'CREATE DATABASE "bench"')
            results |= measure("PostgreSQL", f"{server}/bench", data, args.runs, False)
    print_table(results)


if __name__ == "__main__":
    main()
