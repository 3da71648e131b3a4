"""The `listenlab` command line: personas, chat, and the commands of the other parts."""

from pathlib import Path

import typer
from rich.console import Console

from simulator import personas as persona_files
from simulator.cli_app import register as register_app_command
from simulator.cli_batch import register as register_batch
from simulator.cli_cohorts import register as register_cohorts
from simulator.cli_grading import register as register_grading
from simulator.settings import GraderName, Settings, SpeakerName

app = typer.Typer(help="Practise active listening with simulated people.", no_args_is_help=True)
personas_app = typer.Typer(help="List and check persona files.", invoke_without_command=True)
app.add_typer(personas_app, name="personas")
console = Console()
errors = Console(stderr=True)


@personas_app.callback()
def list_personas(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List the personas (default when no sub-command is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from simulator.cli_views import print_personas

    print_personas(console, load_all_personas(), as_json)


@personas_app.command("check")
def check_personas(files: list[Path] = typer.Argument(None, help="Persona YAML files (default: all).")):
    """Validate persona files; name the file, line, field and reason of each problem."""
    paths = files or persona_files.persona_files()
    failed = 0
    for path in paths:
        try:
            persona = persona_files.load_persona(path)
        except persona_files.PersonaError as exc:
            failed += 1
            for problem in exc.problems:
                errors.print(f"[red]✗[/red] {problem}", highlight=False, soft_wrap=True)
            continue
        console.print(f"[green]✓[/green] {path}: {persona.id} is valid", highlight=False, soft_wrap=True)
    if failed:
        errors.print(f"{failed} of {len(paths)} file(s) have problems.")
        raise typer.Exit(1)


def load_all_personas():
    """Shipped personas, exiting with the problems when one is broken."""
    try:
        return persona_files.load_personas()
    except persona_files.PersonaError as exc:
        errors.print("\n".join(exc.problems))
        raise typer.Exit(2) from exc


@app.command()
def chat(
    persona: str | None = typer.Option(
        None, "--persona", "-p", help="Persona id (see `listenlab personas`)."
    ),
    resume: str | None = typer.Option(
        None, help="Carry on with a session left open (its id is printed when a reply fails)."
    ),
    speaker: SpeakerName | None = typer.Option(
        None, help="scripted | llama | openai (default from settings)."
    ),
    grader: GraderName | None = typer.Option(None, help="offline | llm (default from settings)."),
    script: Path | None = typer.Option(
        None, dir_okay=False, help="Read one learner turn per line (up to /end) and run unattended."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole session as JSON at the end."),
    seed: int = typer.Option(0, help="Seed of the scripted speaker."),
    save: bool = typer.Option(True, help="Save the session in the database (LISTENLAB_DB_URL)."),
    user: str | None = typer.Option(
        None, "--user", help="Record the session as this user (default: the local learner)."
    ),
    assignment: int | None = typer.Option(
        None, "--assignment", help="Practise this assignment of the user's (see `listenlab cohort assign`)."
    ),
):
    """Role-play with a simulated person in the terminal, with feedback on every turn."""
    from simulator.cli_chat import ChatError, ChatOptions, run_chat
    from simulator.llm import BackendError

    overrides = {key: value for key, value in {"speaker": speaker, "grader": grader}.items() if value}
    options = ChatOptions(
        persona_id=persona,
        resume=resume,
        script=script,
        as_json=as_json,
        seed=seed,
        save=save,
        user=user,
        assignment=assignment,
    )
    try:
        code = run_chat(options, Settings(**overrides), load_all_personas())
    except (BackendError, ChatError) as exc:
        errors.print(f"Cannot start the conversation: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


register_batch(app)
register_grading(app)
register_app_command(app)
register_cohorts(app)


def main() -> None:
    """Console-script entry point."""
    app()
