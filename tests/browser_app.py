"""Browser tests' set-up: `listenlab app` on a free port with its own store, Chromium, page helpers."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, launch_chromium
from tests.fixtures_db import free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"


def app_command(port: int) -> list[str]:
    """`listenlab app` (through `python -m simulator`, the console script's entry point) on 127.0.0.1."""
    from simulator import cli

    wired = any(command.name == "app" for command in cli.app.registered_commands)
    module = "simulator" if wired else "simulator.cli_app"
    return [sys.executable, "-m", module, "app", "--address", "127.0.0.1", "--port", str(port)]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("the app did not become healthy")


def app_env(folder: Path, **extra: str) -> dict[str, str]:
    """The app's environment: a store and persona folder of its own, scripted speaker, offline grader."""
    return {
        **os.environ,
        "LISTENLAB_DB_URL": f"sqlite:///{folder / 'app.db'}",
        "LISTENLAB_PERSONAS_DIR": str(folder / "personas"),
        "LISTENLAB_SPEAKER": "scripted",
        "LISTENLAB_GRADER": "offline",
        "LISTENLAB_AUTH": "none",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }


@contextmanager
def running_app(folder: Path, **extra_env: str) -> Iterator[str]:
    """`listenlab app` started in `folder` with app_env; yields its address and stops it afterwards."""
    port = free_port()
    log_path = folder / "app.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            app_command(port),
            cwd=folder,
            env=app_env(folder, **extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_until_healthy(f"http://127.0.0.1:{port}", process)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{exc}:\n{log_path.read_text()}") from exc
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def headless_chromium():
    """Headless Chromium (the Debian package), closed afterwards."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def wait_idle(page) -> None:
    """Until the app's script run has finished (Streamlit marks its root element)."""
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=15000)


def say(page, text: str) -> None:
    """Send a learner turn and wait for the persona's reply to appear."""
    messages = page.get_by_test_id("stChatMessage")
    before = messages.count()
    page.get_by_test_id("stChatInputTextArea").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('[data-testid=stChatMessage]');"
        " const c = m.length >= n && m[n - 1].querySelector('[data-testid=stChatMessageContent]');"
        " return c && c.innerText.trim().length > 0; }",
        arg=before + 2,
        timeout=15000,
    )
    wait_idle(page)
