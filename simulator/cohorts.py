"""Cohorts and their assignments: create, join by code, remove members, assign personas, and what a
learner is asked to do. Every function takes the acting user and checks simulator.access first."""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from simulator.access import JOIN_CODE_DAYS, Actor, Role, can_create_cohort, can_manage_cohort, require
from simulator.accounts import actor_of, add_user, new_user_row, require_user
from simulator.assignments import Attempt, PassCriteria, Progress, progress
from simulator.recording import utc_now
from simulator.scoring import SessionMetrics
from simulator.store.models import AssignmentRow, CohortRow, MembershipRow, SessionRow, UserRow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8
OPERATOR = Actor(
    id="operator", username="operator", role=Role.ADMIN
)  # the command line, run by whoever runs the server
MANAGE_REFUSED = "Only this cohort's facilitators (or an admin) may do that."


class CohortError(ValueError):
    """A cohort or assignment request that cannot be done; the message says why and what to do."""


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def parse_date(text: str, field: str = "due date") -> datetime:
    """A date (YYYY-MM-DD, the end of that day in UTC) or an ISO date-time; CohortError otherwise."""
    text = text.strip()
    try:
        return datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CohortError(
            f"The {field} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2027-01-31."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_cohort(engine: Engine, ref: str | int) -> CohortRow:
    """A cohort by id or by name; CohortError when there is none."""
    with Session(engine, expire_on_commit=False) as db:
        row = db.exec(select(CohortRow).where(CohortRow.name == str(ref).strip())).first()
        if row is None and str(ref).strip().isdigit():
            row = db.get(CohortRow, int(ref))
    if row is None:
        raise CohortError(f"There is no cohort {ref!r} (give its id or its exact name).")
    return row


def create_cohort(
    engine: Engine,
    actor: Actor,
    name: str,
    facilitator: str | None = None,
    code_days: int = JOIN_CODE_DAYS,
) -> CohortRow:
    """A new cohort with a join code valid for `code_days`; its facilitator is `facilitator` (a user
    name) or the actor."""
    require(can_create_cohort(actor), "Only facilitators and admins may create cohorts.")
    name = name.strip()
    if not name or len(name) > 100:
        raise CohortError("A cohort needs a name of 1-100 characters.")
    if code_days < 1:
        raise CohortError("The join code must stay valid for at least one day (--code-days).")
    lead = require_user(engine, facilitator) if facilitator else None
    lead_id = lead.id if lead else actor.id
    if lead is not None and lead.role == Role.LEARNER.value:
        raise CohortError(f"{lead.username!r} is a learner: make them a facilitator first (users role).")
    row = CohortRow(
        name=name,
        join_code=new_join_code(),
        code_expires_at=utc_now() + timedelta(days=code_days),
        created_by=actor.id,
    )
    with Session(engine, expire_on_commit=False) as db:
        if db.exec(select(CohortRow.id).where(CohortRow.name == name)).first():
            raise CohortError(f"There is already a cohort named {name!r}: choose another name.")
        db.add(row)
        db.flush()
        if db.get(UserRow, lead_id) is not None:
            db.add(MembershipRow(cohort_id=row.id, user_id=lead_id, role=Role.FACILITATOR.value))
        db.commit()
    return row


def cohort_by_code(db: Session, code: str) -> CohortRow:
    """The cohort a join code opens; one message for an unknown and an expired code."""
    row = db.exec(select(CohortRow).where(CohortRow.join_code == code.strip().upper())).first()
    if row is None or (row.code_expires_at is not None and row.code_expires_at <= utc_now()):
        raise CohortError("This join code is unknown or has expired: ask your facilitator for a new link.")
    return row


def _add_member(db: Session, cohort: CohortRow, user_id: str, role: Role = Role.LEARNER) -> None:
    if db.get(MembershipRow, (cohort.id, user_id)) is not None:
        raise CohortError(f"You are already in the cohort {cohort.name!r}.")
    db.add(MembershipRow(cohort_id=cohort.id, user_id=user_id, role=role.value))


def join_cohort(engine: Engine, actor: Actor, code: str) -> CohortRow:
    """The actor joins the cohort of a join code, as a learner."""
    with Session(engine, expire_on_commit=False) as db:
        cohort = cohort_by_code(db, code)
        _add_member(db, cohort, actor.id)
        db.commit()
    return cohort


def join_with_new_account(engine: Engine, code: str, username: str, password: str) -> tuple[Actor, CohortRow]:
    """Create a learner account and join the code's cohort in one step (nothing stored if either fails)."""
    row = new_user_row(username, Role.LEARNER, password=password)
    with Session(engine, expire_on_commit=False) as db:
        cohort = cohort_by_code(db, code)
        add_user(db, row)
        _add_member(db, cohort, row.id)
        db.commit()
    return actor_of(engine, row), cohort


def add_member(
    engine: Engine, actor: Actor, cohort_ref: str | int, username: str, role: str = "learner"
) -> None:
    """Put a user into a cohort (a facilitator adding a learner or a co-facilitator)."""
    cohort, user = find_cohort(engine, cohort_ref), require_user(engine, username)
    require(can_manage_cohort(actor, cohort.id), MANAGE_REFUSED)
    member_role = Role(role)
    if member_role == Role.FACILITATOR and user.role == Role.LEARNER.value:
        raise CohortError(f"{user.username!r} is a learner: make them a facilitator first (users role).")
    with Session(engine, expire_on_commit=False) as db:
        _add_member(db, cohort, user.id, member_role)
        db.commit()


def remove_member(engine: Engine, actor: Actor, cohort_id: int, username: str) -> None:
    """Take a learner out of a cohort; their sessions stay theirs, no longer visible to the cohort."""
    require(can_manage_cohort(actor, cohort_id), MANAGE_REFUSED)
    user = require_user(engine, username)
    with Session(engine, expire_on_commit=False) as db:
        row = db.get(MembershipRow, (cohort_id, user.id))
        if row is None:
            raise CohortError(f"{user.username!r} is not in this cohort.")
        db.delete(row)
        db.commit()


def renew_code(engine: Engine, actor: Actor, cohort_id: int, code_days: int = JOIN_CODE_DAYS) -> CohortRow:
    """A fresh join code (the old link stops working)."""
    require(can_manage_cohort(actor, cohort_id), MANAGE_REFUSED)
    with Session(engine, expire_on_commit=False) as db:
        row = db.get(CohortRow, cohort_id)
        row.join_code, row.code_expires_at = new_join_code(), utc_now() + timedelta(days=code_days)
        db.add(row)
        db.commit()
    return row


def create_assignment(
    engine: Engine,
    actor: Actor,
    cohort_ref: str | int,
    persona_id: str,
    known_personas: set[str],
    criteria: PassCriteria | None = None,
    due_at: datetime | None = None,
    opens_at: datetime | None = None,
    max_attempts: int | None = None,
) -> AssignmentRow:
    """Ask a cohort to practise a persona, optionally by a date and from a date (spaced repeats are
    further assignments of the same persona), with pass criteria shown to learners beforehand."""
    cohort = find_cohort(engine, cohort_ref)
    require(can_manage_cohort(actor, cohort.id), MANAGE_REFUSED)
    if persona_id not in known_personas:
        raise CohortError(
            f"There is no persona {persona_id!r}. Choose one of: {', '.join(sorted(known_personas))}."
        )
    if due_at and opens_at and due_at <= opens_at:
        raise CohortError("The due date must come after the date the assignment opens.")
    if max_attempts is not None and max_attempts < 1:
        raise CohortError("--max-attempts must be at least 1.")
    row = AssignmentRow(
        cohort_id=cohort.id,
        persona_id=persona_id,
        due_at=due_at,
        opens_at=opens_at,
        criteria=(criteria or PassCriteria()).model_dump(exclude_defaults=True),
        max_attempts=max_attempts,
        created_by=actor.id,
    )
    with Session(engine, expire_on_commit=False) as db:
        db.add(row)
        db.commit()
    return row


def visible_cohorts(engine: Engine, actor: Actor) -> list[CohortRow]:
    """Cohorts the actor facilitates (every cohort for an admin), by name."""
    with Session(engine, expire_on_commit=False) as db:
        query = select(CohortRow).order_by(col(CohortRow.name))
        if not actor.is_admin:
            query = query.where(col(CohortRow.id).in_(actor.facilitates or {-1}))
        return list(db.exec(query).all())


def cohort_members(engine: Engine, actor: Actor, cohort_id: int) -> list[tuple[UserRow, str]]:
    """The members of a cohort with their role in it, by user name."""
    require(can_manage_cohort(actor, cohort_id), MANAGE_REFUSED)
    with Session(engine, expire_on_commit=False) as db:
        rows = db.exec(
            select(UserRow, MembershipRow.role)
            .join(MembershipRow, col(MembershipRow.user_id) == col(UserRow.id))
            .where(MembershipRow.cohort_id == cohort_id)
            .order_by(col(UserRow.username))
        ).all()
    return [(user, role) for user, role in rows]


def cohort_assignments(engine: Engine, actor: Actor, cohort_id: int) -> list[AssignmentRow]:
    require(can_manage_cohort(actor, cohort_id), MANAGE_REFUSED)
    with Session(engine, expire_on_commit=False) as db:
        query = select(AssignmentRow).where(AssignmentRow.cohort_id == cohort_id)
        return list(db.exec(query.order_by(col(AssignmentRow.id))).all())


@dataclass(frozen=True)
class LearnerAssignment:
    """An assignment as its learner sees it: what, by when, how it is passed, and where they stand."""

    assignment: AssignmentRow
    cohort_name: str
    criteria: PassCriteria
    progress: Progress
    is_open: bool

    @property
    def attempts_left(self) -> int | None:
        limit = self.assignment.max_attempts
        return None if limit is None else max(limit - self.progress.attempts, 0)


def criteria_of(row: AssignmentRow) -> PassCriteria:
    return PassCriteria.model_validate(row.criteria or {})


def attempts_by(db: Session, assignment_ids: list[int], user_ids: list[str] | None = None) -> dict:
    """Attempts per (assignment id, user id), from the session rows alone (no turns read)."""
    query = select(
        SessionRow.id, SessionRow.user_id, SessionRow.assignment_id, SessionRow.started_at, SessionRow.metrics
    ).where(col(SessionRow.assignment_id).in_(assignment_ids))
    if user_ids is not None:
        query = query.where(col(SessionRow.user_id).in_(user_ids))
    attempts: dict[tuple[int, str], list[Attempt]] = {}
    for session_id, user_id, assignment_id, started_at, metrics in db.exec(query):
        parsed = SessionMetrics.model_validate(metrics) if metrics else None
        attempts.setdefault((assignment_id, user_id), []).append(Attempt(session_id, started_at, parsed))
    return attempts


def learner_assignments(engine: Engine, actor: Actor, now: datetime | None = None) -> list[LearnerAssignment]:
    """The assignments of every cohort the actor learns in, soonest due first."""
    now = now or utc_now()
    with Session(engine, expire_on_commit=False) as db:
        rows = db.exec(
            select(AssignmentRow, CohortRow.name)
            .join(CohortRow, col(CohortRow.id) == col(AssignmentRow.cohort_id))
            .join(MembershipRow, col(MembershipRow.cohort_id) == col(AssignmentRow.cohort_id))
            .where(MembershipRow.user_id == actor.id, MembershipRow.role == Role.LEARNER.value)
        ).all()
        attempts = attempts_by(db, [a.id for a, _ in rows], [actor.id])
    items = [
        LearnerAssignment(
            assignment=row,
            cohort_name=name,
            criteria=criteria_of(row),
            progress=progress(criteria_of(row), attempts.get((row.id, actor.id), []), row.due_at, now),
            is_open=row.opens_at is None or row.opens_at <= now,
        )
        for row, name in rows
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda item: (item.assignment.due_at or far, item.assignment.id))


def assignment_to_practise(engine: Engine, actor: Actor, assignment_id: int) -> AssignmentRow:
    """The assignment a learner starts a session for: theirs, open, and with attempts left."""
    refused = f"Assignment {assignment_id} is not one of yours."
    with Session(engine, expire_on_commit=False) as db:
        row = db.get(AssignmentRow, assignment_id)
        member = row and db.get(MembershipRow, (row.cohort_id, actor.id))
        require(member is not None and member.role == Role.LEARNER.value, refused)
        used = db.exec(
            select(func.count()).where(
                SessionRow.assignment_id == assignment_id, SessionRow.user_id == actor.id
            )
        ).one()
    if row.opens_at is not None and row.opens_at > utc_now():
        raise CohortError(f"This assignment opens on {row.opens_at:%d %b %Y}.")
    if row.max_attempts is not None and used >= row.max_attempts:
        raise CohortError(f"You have used all {row.max_attempts} attempts of this assignment.")
    return row
