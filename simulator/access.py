"""Who may do what: pure rules over the acting user, their role, their cohorts and a session's owner."""

from dataclasses import dataclass, field
from enum import StrEnum

LOCAL_USER_ID = (
    "local"  # the one learner of `LISTENLAB_AUTH=none`, and the owner of sessions made before accounts
)
JOIN_CODE_DAYS = 30  # how long a cohort's join code lets learners in, unless the facilitator says otherwise


class Role(StrEnum):
    """An account's role in the whole installation."""

    LEARNER = "learner"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class AccessDenied(PermissionError):
    """The acting user may not do this; the message never says whether the thing exists."""


@dataclass(frozen=True)
class Actor:
    """The user a request acts for, with the cohorts they facilitate (read once per request)."""

    id: str
    username: str
    role: Role
    facilitates: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


LOCAL_ACTOR = Actor(id=LOCAL_USER_ID, username=LOCAL_USER_ID, role=Role.LEARNER)


@dataclass(frozen=True)
class SessionScope:
    """What the rules need to know of a session: whose it is, and the cohort of its assignment if any."""

    owner_id: str | None
    cohort_id: int | None = None


def reviews_cohort(actor: Actor, cohort_id: int | None) -> bool:
    """Whether the actor facilitates this cohort (admins facilitate every cohort)."""
    return cohort_id is not None and (actor.is_admin or cohort_id in actor.facilitates)


def can_view_session(actor: Actor, scope: SessionScope) -> bool:
    """Owners see their sessions; a cohort's facilitators see the sessions of its assignments (free
    practice stays private to the learner)."""
    return scope.owner_id == actor.id or reviews_cohort(actor, scope.cohort_id)


def can_review_session(actor: Actor, scope: SessionScope) -> bool:
    """Comment on and override grades: the facilitators of the assignment's cohort, and admins."""
    return reviews_cohort(actor, scope.cohort_id)


def can_delete_session(actor: Actor, scope: SessionScope) -> bool:
    """A learner deletes their own sessions; an admin may delete any."""
    return scope.owner_id == actor.id or actor.is_admin


def can_create_cohort(actor: Actor) -> bool:
    return actor.role in (Role.FACILITATOR, Role.ADMIN)


def can_manage_cohort(actor: Actor, cohort_id: int) -> bool:
    """Create assignments, remove members, see the dashboard and exports of a cohort."""
    return reviews_cohort(actor, cohort_id)


def can_manage_users(actor: Actor) -> bool:
    return actor.is_admin


def require(allowed: bool, message: str) -> None:
    """Raise AccessDenied with `message` unless `allowed`."""
    if not allowed:
        raise AccessDenied(message)
