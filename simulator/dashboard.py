"""What a facilitator sees of a cohort: learners x assignments, each learner's skills, the roadblocks
most common per persona, grader agreement, and the gradebook. Read from session rows, never from turns."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from simulator.access import Actor, Role, can_manage_cohort, require
from simulator.assignments import Attempt, Progress, progress
from simulator.cohorts import MANAGE_REFUSED, criteria_of
from simulator.labels import ROADBLOCKS
from simulator.recording import utc_now
from simulator.reviews import Agreement, agreement, cohort_overrides
from simulator.scoring import SessionMetrics
from simulator.store.models import AssignmentRow, CohortRow, MembershipRow, SessionRow, UserRow
from simulator.store.progress import SkillProgress, skill_progress
from simulator.store.queries import SessionSummary

TOP_ROADBLOCKS = 3


@dataclass(frozen=True)
class Learner:
    id: str
    username: str


@dataclass(frozen=True)
class CohortSession:
    """One linked session in the cohort: whose, which assignment, when, and its metrics once ended."""

    id: str
    learner_id: str
    assignment_id: int
    persona_id: str
    started_at: datetime
    ended_at: datetime | None
    metrics: SessionMetrics | None


@dataclass
class CohortDashboard:
    """Everything the cohort page and its exports show."""

    cohort: CohortRow
    learners: list[Learner]
    assignments: list[AssignmentRow]
    progress: dict[tuple[int, str], Progress]
    sessions: list[CohortSession]
    agreement: Agreement
    skills: dict[str, list[SkillProgress]] = field(default_factory=dict)
    roadblocks: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def cohort_learners(db: Session, cohort_id: int) -> list[Learner]:
    rows = db.exec(
        select(UserRow.id, UserRow.username)
        .join(MembershipRow, col(MembershipRow.user_id) == col(UserRow.id))
        .where(MembershipRow.cohort_id == cohort_id, MembershipRow.role == Role.LEARNER.value)
        .order_by(col(UserRow.username))
    ).all()
    return [Learner(user_id, name) for user_id, name in rows]


def cohort_sessions(db: Session, assignment_ids: list[int]) -> list[CohortSession]:
    rows = db.exec(
        select(
            SessionRow.id,
            SessionRow.user_id,
            SessionRow.assignment_id,
            SessionRow.persona_id,
            SessionRow.started_at,
            SessionRow.ended_at,
            SessionRow.metrics,
        )
        .where(col(SessionRow.assignment_id).in_(assignment_ids))
        .order_by(col(SessionRow.started_at))
    ).all()
    return [
        CohortSession(*row[:6], SessionMetrics.model_validate(row[6]) if row[6] else None) for row in rows
    ]


def learner_skills(sessions: list[CohortSession]) -> dict[str, list[SkillProgress]]:
    """First, best and latest of each skill per learner, over their finished assignment sessions."""
    by_learner: dict[str, list[SessionSummary]] = {}
    for s in sessions:
        if s.metrics is not None and s.ended_at is not None and s.metrics.learner_turns:
            summary = SessionSummary(
                id=s.id,
                persona_id=s.persona_id,
                persona_title=s.persona_id,
                started_at=s.started_at,
                ended_at=s.ended_at,
                assignment_id=s.assignment_id,
                metrics=s.metrics,
            )
            by_learner.setdefault(s.learner_id, []).append(summary)
    return {learner: skill_progress(summaries) for learner, summaries in by_learner.items()}


def common_roadblocks(
    sessions: list[CohortSession], top: int = TOP_ROADBLOCKS
) -> dict[str, list[tuple[str, int]]]:
    """Per persona, the roadblocks the cohort's turns showed most (turn counts, most first)."""
    counts: dict[str, Counter] = {}
    for s in sessions:
        if s.metrics is None:
            continue
        tally = counts.setdefault(s.persona_id, Counter())
        tally.update({label: n for label, n in s.metrics.label_counts.items() if label in ROADBLOCKS})
    return {persona: tally.most_common(top) for persona, tally in sorted(counts.items())}


def _progress(assignments, learners, attempts, now) -> dict[tuple[int, str], Progress]:
    return {
        (a.id, learner.id): progress(criteria_of(a), attempts.get((a.id, learner.id), []), a.due_at, now)
        for a in assignments
        for learner in learners
    }


def _attempts(sessions: list[CohortSession]) -> dict[tuple[int, str], list[Attempt]]:
    attempts: dict[tuple[int, str], list[Attempt]] = {}
    for s in sessions:
        attempts.setdefault((s.assignment_id, s.learner_id), []).append(
            Attempt(s.id, s.started_at, s.metrics)
        )
    return attempts


def cohort_dashboard(
    engine: Engine, actor: Actor, cohort_id: int, now: datetime | None = None
) -> CohortDashboard:
    """The whole dashboard of a cohort the actor facilitates."""
    require(can_manage_cohort(actor, cohort_id), MANAGE_REFUSED)
    with Session(engine, expire_on_commit=False) as db:
        cohort = db.get(CohortRow, cohort_id)
        learners = cohort_learners(db, cohort_id)
        assignments = list(
            db.exec(
                select(AssignmentRow)
                .where(AssignmentRow.cohort_id == cohort_id)
                .order_by(col(AssignmentRow.id))
            )
        )
        sessions = cohort_sessions(db, [a.id for a in assignments])
        overrides = cohort_overrides(db, cohort_id)
    members = {learner.id for learner in learners}
    sessions = [s for s in sessions if s.learner_id in members]
    return CohortDashboard(
        cohort=cohort,
        learners=learners,
        assignments=assignments,
        progress=_progress(assignments, learners, _attempts(sessions), now or utc_now()),
        sessions=sessions,
        agreement=agreement(overrides),
        skills=learner_skills(sessions),
        roadblocks=common_roadblocks(sessions),
    )


GRADEBOOK_COLUMNS = (
    "learner",
    "assignment_id",
    "persona",
    "due",
    "status",
    "attempts",
    "best_score",
    "passed_session",
)


def gradebook_rows(board: CohortDashboard) -> list[dict]:
    """One row per learner x assignment (the gradebook CSV)."""
    return [
        {
            "learner": learner.username,
            "assignment_id": a.id,
            "persona": a.persona_id,
            "due": a.due_at.date().isoformat() if a.due_at else "",
            "status": board.progress[(a.id, learner.id)].status.value,
            "attempts": board.progress[(a.id, learner.id)].attempts,
            "best_score": board.progress[(a.id, learner.id)].best_score,
            "passed_session": board.progress[(a.id, learner.id)].passed_session_id or "",
        }
        for learner in board.learners
        for a in board.assignments
    ]


@dataclass(frozen=True)
class Highlight:
    """A finished session worth talking through with its learner, and why."""

    session: CohortSession
    reason: str


def worth_discussing(board: CohortDashboard, limit: int = 5) -> list[Highlight]:
    """The sessions to open first: the most roadblocks (what to work on), then breakthroughs (what to
    keep doing); each session once, newest first within a kind."""
    ended = [s for s in reversed(board.sessions) if s.metrics is not None and s.metrics.learner_turns]
    struggling = sorted(
        (s for s in ended if s.metrics.roadblock_rate),
        key=lambda s: (-(s.metrics.roadblock_rate or 0), s.metrics.mean_score or 5),
    )
    picks = [
        Highlight(s, f"roadblocks in {s.metrics.roadblock_rate:.0%} of turns") for s in struggling[:limit]
    ]
    chosen = {h.session.id for h in picks}
    breakthroughs = [s for s in ended if s.metrics.breakthrough and s.id not in chosen]
    picks += [Highlight(s, f"breakthrough at turn {s.metrics.breakthrough_turn}") for s in breakthroughs]
    return picks[: 2 * limit]
