"""User accounts: create and find users, their roles, Argon2id password hashes, identity-provider users."""

import re
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from simulator.access import Actor, Role
from simulator.store.models import MembershipRow, UserRow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
HASHER = PasswordHasher()
# Verified against when the name is unknown, so a wrong name takes as long as a wrong password.
_UNKNOWN_USER_HASH = HASHER.hash("listenlab: no such user")


class AccountError(ValueError):
    """A user could not be created or changed; the message says what to do."""


def normalise_username(username: str) -> str:
    """User names are case-insensitive: kept lower-case, without surrounding spaces."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalised name, or AccountError saying which characters are allowed."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"User name {username!r} is not allowed: use 2-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit."
        )
    return name


def check_password(password: str) -> None:
    """AccountError when a password is empty, too short or absurdly long."""
    if not password:
        raise AccountError("The password is empty: choose one of at least 8 characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters.")


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"Unknown role {role!r}: choose one of {choices}.") from None


def hash_password(password: str) -> str:
    check_password(password)
    return HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; an account without a password never matches."""
    try:
        return HASHER.verify(stored_hash or _UNKNOWN_USER_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_user_row(
    username: str,
    role: Role | str = Role.LEARNER,
    password: str | None = None,
    oidc_subject: str | None = None,
    email: str | None = None,
) -> UserRow:
    """A checked, not yet stored account: AccountError for a malformed name, a bad password or role."""
    role = parse_role(role) if isinstance(role, str) else role
    return UserRow(
        id=uuid.uuid4().hex,
        username=check_username(username),
        role=role.value,
        password_hash=hash_password(password) if password is not None else None,
        oidc_subject=oidc_subject,
        email=email,
    )


def add_user(db: Session, row: UserRow) -> None:
    """Add an account in an open transaction; AccountError when the name is taken."""
    taken = f"The user name {row.username!r} is taken: choose another."
    if db.exec(select(UserRow.id).where(UserRow.username == row.username)).first():
        raise AccountError(taken)
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise AccountError(taken) from None


def create_user(engine: Engine, username: str, role: Role | str = Role.LEARNER, **fields) -> UserRow:
    """A new account (see new_user_row for the fields); AccountError when the name is taken."""
    row = new_user_row(username, role, **fields)
    with Session(engine, expire_on_commit=False) as db:
        add_user(db, row)
        db.commit()
    return row


def find_user(engine: Engine, username: str) -> UserRow | None:
    with Session(engine, expire_on_commit=False) as db:
        return db.exec(select(UserRow).where(UserRow.username == normalise_username(username))).first()


def require_user(engine: Engine, username: str) -> UserRow:
    """The user with this name, or AccountError naming the command that lists users."""
    user = find_user(engine, username)
    if user is None:
        raise AccountError(f"There is no user {username!r} (see `listenlab users list`).")
    return user


def list_users(engine: Engine) -> list[UserRow]:
    with Session(engine, expire_on_commit=False) as db:
        return list(db.exec(select(UserRow).order_by(col(UserRow.username))).all())


def set_role(engine: Engine, username: str, role: str) -> UserRow:
    user, new_role = require_user(engine, username), parse_role(role)
    with Session(engine, expire_on_commit=False) as db:
        row = db.get(UserRow, user.id)
        row.role = new_role.value
        db.add(row)
        db.commit()
    return row


def actor_of(engine: Engine, user: UserRow) -> Actor:
    """The Actor for a user, with the cohorts they facilitate read now."""
    with Session(engine, expire_on_commit=False) as db:
        cohorts = db.exec(
            select(MembershipRow.cohort_id).where(
                MembershipRow.user_id == user.id, MembershipRow.role == Role.FACILITATOR.value
            )
        ).all()
    return Actor(id=user.id, username=user.username, role=Role(user.role), facilitates=frozenset(cohorts))


def actor_by_id(engine: Engine, user_id: str) -> Actor | None:
    with Session(engine, expire_on_commit=False) as db:
        user = db.get(UserRow, user_id)
    return actor_of(engine, user) if user else None


def identity_user(engine: Engine, subject: str, email: str | None, name: str | None) -> UserRow:
    """The account of an identity-provider user (by subject), made as a learner on first login; roles
    come from our table, never from the provider."""
    with Session(engine, expire_on_commit=False) as db:
        found = db.exec(select(UserRow).where(UserRow.oidc_subject == subject)).first()
    if found is not None:
        return found
    base = re.sub(r"[^a-z0-9._@-]", "", normalise_username(email or name or "user"))[:56] or "user"
    for attempt in range(100):
        candidate = base if attempt == 0 else f"{base}-{attempt}"
        if find_user(engine, candidate) is None:
            return create_user(
                engine, candidate.ljust(2, "0"), Role.LEARNER, oidc_subject=subject, email=email
            )
    raise AccountError(f"Could not choose a user name for {email or name!r}.")
