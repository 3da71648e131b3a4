"""`listenlab app`: start the browser app shipped in simulator/webapp/ (`streamlit run` on its server)."""

import ipaddress
import os
import sys
from pathlib import Path

import typer

from simulator.settings import Settings
from simulator.webapp import APP_SCRIPT, SERVER_SCRIPT

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(address: str) -> bool:
    """Whether only this machine can reach an address (127.0.0.0/8, ::1, localhost)."""
    if address.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_open_address(auth: str, address: str) -> str | None:
    """Why the app must not listen on `address` in this auth mode (None when it may)."""
    if auth != "none" or is_loopback(address):
        return None
    return (
        f"Refusing to listen on {address}: with LISTENLAB_AUTH=none the app has no logins and everyone who "
        "reaches it acts as the one local learner, so it listens on a loopback address only (127.0.0.1). "
        "To serve a team, set LISTENLAB_AUTH=local (accounts with passwords in the database) or "
        "LISTENLAB_AUTH=oidc (your identity provider, see README.md)."
    )


def streamlit_command(address: str, port: int, script: Path = SERVER_SCRIPT) -> list[str]:
    """The `streamlit run` command line for the bundled app's server."""
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
    if not (APP_SCRIPT.is_file() and SERVER_SCRIPT.is_file()):
        typer.echo(
            f"The app script is missing: {APP_SCRIPT}. Reinstall listenlab (pip install listenlab).", err=True
        )
        raise typer.Exit(2)
    auth = Settings().auth
    refusal = refuse_open_address(auth, address)
    if refusal:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)
    start = "practice" if auth == "none" else ""
    typer.echo(f"listenlab is at http://{address}:{port}/{start}  (Ctrl+C stops it)")
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
