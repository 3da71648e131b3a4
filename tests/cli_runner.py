"""Runs `python -m simulator chat ... --json` in a child process, as the installed command would."""

import subprocess
import sys


def run_chat_json(options: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m simulator chat <options> --json`, output captured as text, two minutes at most."""
    return subprocess.run(
        [sys.executable, "-m", "simulator", "chat", *options, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
