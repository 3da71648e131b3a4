"""Logging in: password checks slowed down after repeated failures, and the tokens a browser holds."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from simulator.access import Actor
from simulator.accounts import actor_of, normalise_username, password_matches
from simulator.recording import utc_now
from simulator.store.models import LoginFailureRow, LoginTokenRow, UserRow

WRONG_CREDENTIALS = "Wrong user name or password."
FREE_FAILURES = 3  # failures in a row before each further try must wait
MAX_WAIT_S = 300
SESSION_LIFETIME = timedelta(days=14)
TICKET_LIFETIME = timedelta(seconds=60)
SESSION, TICKET = "session", "ticket"


class LoginFailed(Exception):
    """Wrong name or password, or too many tries; the message never says whether the user exists."""

    def __init__(self, message: str, retry_after_s: float = 0.0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


def wait_after(failures: int) -> float:
    """Seconds a name must wait after `failures` failed tries in a row: none at first, then doubling."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES), MAX_WAIT_S))


def _refuse_while_throttled(db: Session, name: str, now: datetime) -> None:
    row = db.get(LoginFailureRow, name)
    if row is None:
        return
    remaining = wait_after(row.failures) - (now - row.last_failed_at).total_seconds()
    if remaining > 0:
        raise LoginFailed(
            f"Too many failed attempts for this name. Try again in {int(remaining) + 1} s.", remaining
        )


def _record_failure(db: Session, name: str, now: datetime) -> None:
    row = db.get(LoginFailureRow, name) or LoginFailureRow(username=name)
    row.failures, row.last_failed_at = row.failures + 1, now
    db.add(row)
    db.commit()


def authenticate(engine: Engine, username: str, password: str, now: datetime | None = None) -> Actor:
    """The Actor for a correct name and password; LoginFailed otherwise (one message whether or not the
    user exists, and a wait after repeated failures)."""
    now, name = now or utc_now(), normalise_username(username)[:64]
    with Session(engine, expire_on_commit=False) as db:
        _refuse_while_throttled(db, name, now)
        user = db.exec(select(UserRow).where(UserRow.username == name)).first()
        if not password_matches(user.password_hash if user else None, password):
            _record_failure(db, name, now)
            raise LoginFailed(WRONG_CREDENTIALS)
        db.exec(delete(LoginFailureRow).where(LoginFailureRow.username == name))
        db.commit()
    return actor_of(engine, user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(engine: Engine, user_id: str, kind: str, lifetime: timedelta) -> str:
    token, now = secrets.token_urlsafe(32), utc_now()
    with Session(engine, expire_on_commit=False) as db:
        db.add(
            LoginTokenRow(token_hash=_digest(token), user_id=user_id, kind=kind, expires_at=now + lifetime)
        )
        db.commit()
    return token


def issue_ticket(engine: Engine, actor: Actor) -> str:
    """A one-time ticket, good for a minute, that the browser trades for its login cookie."""
    return _issue(engine, actor.id, TICKET, TICKET_LIFETIME)


def redeem_ticket(engine: Engine, ticket: str) -> str | None:
    """Trade a ticket (once) for a session token; None when it is unknown, used or expired."""
    with Session(engine, expire_on_commit=False) as db:
        row = db.get(LoginTokenRow, _digest(ticket))
        if row is None or row.kind != TICKET:
            return None
        db.delete(row)
        db.commit()
        if row.expires_at <= utc_now():
            return None
    return _issue(engine, row.user_id, SESSION, SESSION_LIFETIME)


def actor_for_token(engine: Engine, token: str | None) -> Actor | None:
    """The user a session token logs in, if it is known and not expired."""
    if not token:
        return None
    with Session(engine, expire_on_commit=False) as db:
        row = db.get(LoginTokenRow, _digest(token))
        if row is None or row.kind != SESSION or row.expires_at <= utc_now():
            return None
        user = db.get(UserRow, row.user_id)
    return actor_of(engine, user) if user else None


def revoke_token(engine: Engine, token: str | None) -> None:
    """Log a browser out: its token no longer logs anyone in."""
    if not token:
        return
    with Session(engine, expire_on_commit=False) as db:
        db.exec(delete(LoginTokenRow).where(LoginTokenRow.token_hash == _digest(token)))
        db.commit()


def forget_expired_tokens(engine: Engine) -> int:
    with Session(engine, expire_on_commit=False) as db:
        result = db.exec(delete(LoginTokenRow).where(col(LoginTokenRow.expires_at) <= utc_now()))
        db.commit()
    return result.rowcount or 0
