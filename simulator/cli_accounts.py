"""`listenlab users` and `listenlab purge`, and what every admin command shares: the store, plain
output, and a refused request as one line with exit code 2."""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from simulator.settings import Settings
from simulator.terminal import terminal_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

users_app = typer.Typer(help="Create user accounts, list them and set their roles.", no_args_is_help=True)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def say(text: str) -> None:
    """A line for the terminal: no markup read in it, no escape sequences let through."""
    console.print(terminal_text(text), markup=False, highlight=False)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


@contextmanager
def refusing_bad_input() -> Iterator[None]:
    """A refused request becomes its one-line message on stderr and exit code 2 (nothing was stored)."""
    try:
        yield
    except refusals() as exc:
        errors.print(terminal_text(str(exc)), markup=False, highlight=False)
        raise typer.Exit(2) from exc


def refusals() -> tuple[type[Exception], ...]:
    """The errors that refuse a request (imported when a command runs: the store is slow to import)."""
    from simulator.access import AccessDenied
    from simulator.accounts import AccountError
    from simulator.cohorts import CohortError
    from simulator.files import FileProblem

    return AccountError, CohortError, AccessDenied, FileProblem


def store() -> "Engine":
    """The configured database (LISTENLAB_DB_URL), migrated to the latest schema."""
    from simulator.store import open_store

    return open_store(Settings().db_url)


def read_password() -> str:
    """One line of stdin, its line ending removed (everything else in it is part of the password)."""
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


@users_app.command("add")
def add_user(
    name: str = typer.Argument(..., help="User name (2-64 letters, digits, '.', '_', '@' or '-')."),
    role: str = typer.Option("learner", "--role", help="learner | facilitator | admin."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
):
    """Create an account (without --password-stdin it has no password: it signs in through the identity
    provider only)."""
    from simulator import accounts

    password = read_password() if password_stdin else None
    with refusing_bad_input():
        user = accounts.create_user(store(), name, role, password=password)
    say(f"Created {user.role} {user.username}.")


@users_app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Every account with its role."""
    from simulator import accounts

    users = accounts.list_users(store())
    if as_json:
        print_json([user_json(user) for user in users])
        return
    table = Table("user", "role", "sign-in", "created", title=f"{len(users)} users")
    for user in users:
        table.add_row(user.username, user.role, sign_in_of(user), f"{user.created_at:%Y-%m-%d}")
    console.print(table)


def sign_in_of(user) -> str:
    return "password" if user.password_hash else "identity provider" if user.oidc_subject else "none yet"


def user_json(user) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "sign_in": sign_in_of(user),
        "created_at": user.created_at.isoformat(),
    }


@users_app.command("role")
def set_role(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Argument(..., help="learner | facilitator | admin."),
):
    """Change a user's role."""
    from simulator import accounts

    with refusing_bad_input():
        user = accounts.set_role(store(), name, role)
    say(f"{user.username} is now a {user.role}.")


def purge(
    older_than: int = typer.Option(
        ..., "--older-than", help="Remove sessions that ended more than this many days ago."
    ),
):
    """Remove ended sessions past a retention period, with their turns, grades and reviews."""
    from simulator.privacy import purge_ended_sessions

    if older_than < 0:
        errors.print("--older-than must be 0 days or more.")
        raise typer.Exit(2)
    removed = purge_ended_sessions(store(), older_than)
    say(f"Removed {removed} session(s) that ended more than {older_than} day(s) ago.")
