"""`listenlab app`: start the browser app shipped in simulator/webapp/ (`streamlit run` on its script)."""

import os
import sys
from pathlib import Path

import typer

from simulator.webapp import APP_SCRIPT


def streamlit_command(address: str, port: int, script: Path = APP_SCRIPT) -> list[str]:
    """The `streamlit run` command line for the bundled app."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def run_app(
    address: str = typer.Option(
        "127.0.0.1", "--address", help="Address to listen on (0.0.0.0 for others to reach it)."
    ),
    port: int = typer.Option(8501, "--port", help="Port to listen on."),
) -> None:
    """Start the browser app: practise, get feedback, debrief, and look back at your progress."""
    if not APP_SCRIPT.is_file():
        typer.echo(
            f"The app script is missing: {APP_SCRIPT}. Reinstall listenlab (pip install listenlab).", err=True
        )
        raise typer.Exit(2)
    typer.echo(f"listenlab is at http://{address}:{port}/practice  (Ctrl+C stops it)")
    command = streamlit_command(address, port)
    os.execv(command[0], command)


def register(app: typer.Typer) -> None:
    """Add the `app` command to the listenlab command line."""
    app.command("app")(run_app)


def _commands() -> None:
    """listenlab's browser app."""


def main() -> None:
    """Run the `app` command without the rest of the command line: python -m simulator.cli_app app."""
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    app.callback()(_commands)
    register(app)
    app()


if __name__ == "__main__":
    main()
