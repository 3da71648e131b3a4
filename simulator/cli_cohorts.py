"""`listenlab cohort`: create cohorts, join them by code, assign personas, list and remove members, and
write the gradebook report; `register` adds it with `users` and `purge` to the command line."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.table import Table

from simulator.access import JOIN_CODE_DAYS
from simulator.cli_accounts import (
    console,
    print_json,
    purge,
    refusing_bad_input,
    say,
    store,
    users_app,
)
from simulator.settings import Settings
from simulator.terminal import terminal_text

if TYPE_CHECKING:
    from simulator.assignments import PassCriteria

DEFAULT_APP_URL = "http://127.0.0.1:8501"
CRITERIA_OPTIONS = {
    "min_mean_score": "--min-score",
    "max_roadblock_rate": "--max-roadblock-rate",
    "min_learner_turns": "--min-turns",
}

cohort_app = typer.Typer(
    help="Cohorts: create, join, assign personas, members, the gradebook report.", no_args_is_help=True
)


def join_link(code: str) -> str:
    """Where a learner joins with a code: the app at LISTENLAB_BASE_URL (else the local address)."""
    return f"{(Settings().base_url or DEFAULT_APP_URL).rstrip('/')}/join?code={code}"


@cohort_app.command("create")
def create_cohort(
    name: str = typer.Argument(..., help="The cohort's name (unique)."),
    facilitator: str = typer.Option(..., "--facilitator", help="User name of its facilitator."),
    code_days: int = typer.Option(JOIN_CODE_DAYS, "--code-days", help="Days the join code stays valid."),
    as_json: bool = typer.Option(False, "--json", help="Print the cohort (id, code, link) as JSON."),
):
    """Create a cohort and print its join code and link."""
    from simulator import cohorts

    with refusing_bad_input():
        row = cohorts.create_cohort(store(), cohorts.OPERATOR, name, facilitator, code_days)
    details = {
        "id": row.id,
        "name": row.name,
        "code": row.join_code,
        "link": join_link(row.join_code),
        "code_expires_at": row.code_expires_at.isoformat(),
    }
    if as_json:
        print_json(details)
        return
    say(f"Created cohort {row.name} (id {row.id}).")
    say(f"Join code {row.join_code}, valid until {row.code_expires_at:%Y-%m-%d}: {details['link']}")


@cohort_app.command("join")
def join_cohort(
    code: str = typer.Argument(..., help="The cohort's join code."),
    user: str = typer.Option(..., "--user", help="User name of the learner who joins."),
):
    """Put a learner into the cohort of a join code."""
    from simulator import accounts, cohorts

    with refusing_bad_input():
        engine = store()
        learner = accounts.actor_of(engine, accounts.require_user(engine, user))
        row = cohorts.join_cohort(engine, learner, code)
    say(f"{learner.username} joined {row.name}.")


def pass_criteria(**given) -> "PassCriteria":
    """The criteria asked for, or CohortError naming the option that is out of range."""
    from simulator import cohorts
    from simulator.assignments import PassCriteria

    try:
        return PassCriteria(**{key: value for key, value in given.items() if value is not None})
    except ValidationError as exc:
        problem = exc.errors()[0]
        option = CRITERIA_OPTIONS.get(str(problem["loc"][0]), str(problem["loc"][0]))
        raise cohorts.CohortError(f"{option}: {problem['msg']}.") from None


def optional_date(text: str | None, field: str) -> datetime | None:
    from simulator.cohorts import parse_date

    return parse_date(text, field) if text is not None else None


def known_persona_ids() -> set[str]:
    from simulator.cli import load_all_personas

    return set(load_all_personas())


@cohort_app.command("assign")
def assign(
    cohort: str = typer.Argument(..., help="The cohort's id or name."),
    persona: str = typer.Option(..., "--persona", help="Persona id (see `listenlab personas`)."),
    due: str | None = typer.Option(None, "--due", help="Due date, YYYY-MM-DD (end of that day, UTC)."),
    opens: str | None = typer.Option(None, "--opens", help="Opening date, YYYY-MM-DD."),
    min_score: float | None = typer.Option(None, "--min-score", help="Pass at a mean score of at least X."),
    breakthrough: bool = typer.Option(False, "--breakthrough", help="Pass only with the breakthrough."),
    max_roadblock_rate: float | None = typer.Option(
        None, "--max-roadblock-rate", help="Pass with roadblocks in at most this share (0-1) of turns."
    ),
    min_turns: int | None = typer.Option(None, "--min-turns", help="Pass with at least N learner turns."),
    max_attempts: int | None = typer.Option(None, "--max-attempts", help="Allow at most N attempts."),
    as_json: bool = typer.Option(False, "--json", help="Print the assignment as JSON."),
):
    """Ask a cohort to practise a persona, with pass criteria the learners see before they start."""
    from simulator import cohorts

    with refusing_bad_input():
        criteria = pass_criteria(
            min_mean_score=min_score,
            breakthrough=breakthrough or None,
            max_roadblock_rate=max_roadblock_rate,
            min_learner_turns=min_turns,
        )
        due_at, opens_at = optional_date(due, "due date"), optional_date(opens, "opening date")
        row = cohorts.create_assignment(
            store(),
            cohorts.OPERATOR,
            cohort,
            persona,
            known_persona_ids(),
            criteria,
            due_at,
            opens_at,
            max_attempts,
        )
    if as_json:
        print_json(assignment_json(row, criteria))
        return
    due_text = f", due {row.due_at:%Y-%m-%d}" if row.due_at else ""
    say(f"Assignment {row.id}: {row.persona_id}{due_text}; passed by {'; '.join(criteria.describe())}.")


def assignment_json(row, criteria: "PassCriteria") -> dict:
    return {
        "id": row.id,
        "cohort_id": row.cohort_id,
        "persona": row.persona_id,
        "opens_at": row.opens_at.isoformat() if row.opens_at else None,
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "criteria": criteria.model_dump(exclude_defaults=True),
        "max_attempts": row.max_attempts,
    }


@cohort_app.command("members")
def members(cohort: str = typer.Argument(..., help="The cohort's id or name.")):
    """The members of a cohort and their role in it."""
    from simulator import cohorts

    with refusing_bad_input():
        engine = store()
        row = cohorts.find_cohort(engine, cohort)
        people = cohorts.cohort_members(engine, cohorts.OPERATOR, row.id)
    table = Table("user", "role", title=f"{terminal_text(row.name)}: {len(people)} members")
    for user, role in people:
        table.add_row(user.username, role)
    console.print(table)


@cohort_app.command("remove")
def remove(
    cohort: str = typer.Argument(..., help="The cohort's id or name."),
    user: str = typer.Argument(..., help="User name of the member to take out."),
):
    """Take a member out of a cohort (their sessions stay theirs, out of the cohort's view)."""
    from simulator import accounts, cohorts

    with refusing_bad_input():
        engine = store()
        row = cohorts.find_cohort(engine, cohort)
        cohorts.remove_member(engine, cohorts.OPERATOR, row.id, user)
    say(f"{accounts.normalise_username(user)} is no longer in {row.name}.")


@cohort_app.command("report")
def report(
    cohort: str = typer.Argument(..., help="The cohort's id or name."),
    csv_path: Path = typer.Option(..., "--csv", help="The gradebook CSV to write."),
    html_path: Path | None = typer.Option(None, "--html", help="Also write an HTML report."),
    overrides_path: Path | None = typer.Option(
        None, "--overrides", help="Also write grade overrides as labelled JSONL."
    ),
):
    """Write the gradebook (a row per learner and assignment), optionally the HTML report and overrides."""
    from simulator import cohorts
    from simulator.cohort_report import ReportPaths, write_cohort_report

    with refusing_bad_input():
        engine = store()
        row = cohorts.find_cohort(engine, cohort)
        written = write_cohort_report(
            engine, cohorts.OPERATOR, row.id, ReportPaths(csv_path, html_path, overrides_path)
        )
    for path, what in written:
        say(f"Wrote {what} to {path}.")


def register(app: typer.Typer) -> None:
    """Add users, cohort and purge to a Typer app."""
    app.add_typer(users_app, name="users")
    app.add_typer(cohort_app, name="cohort")
    app.command("purge")(purge)
