"""End to end in a real browser: `listenlab app` on 127.0.0.1, four turns in Chromium, then the debrief."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, launch_chromium
from tests.fixtures_db import free_port

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
TURNS = [
    "It sounds like you've had a horrible week.",
    "What's been the hardest part?",
    "You should just make a rota for the chores.",
    "That makes sense — you've been carrying it all on your own.",
]


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


@pytest.fixture
def app_url(tmp_path) -> Iterator[str]:
    """The app, started with `listenlab app` on a free port, with its own database and persona folder."""
    port = free_port()
    env = {
        **os.environ,
        "LISTENLAB_DB_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "LISTENLAB_PERSONAS_DIR": str(tmp_path / "personas"),
        "LISTENLAB_SPEAKER": "scripted",
        "LISTENLAB_GRADER": "offline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    log = (tmp_path / "app.log").open("w")
    process = subprocess.Popen(app_command(port), cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}:\n{(tmp_path / 'app.log').read_text()}") from exc
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def wait_idle(page) -> None:
    """Until the app's script run has finished (Streamlit marks its root element)."""
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=15000)


def say(page, text: str) -> None:
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


def test_a_learner_practises_four_turns_and_reads_the_debrief(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(app_url) or r.url.startswith("data:") else outside.append(r.url),
    )
    page.goto(f"{app_url}/practice?persona=stressed-partner")
    page.get_by_role("heading", name="Stressed partner").wait_for(timeout=20000)
    wait_idle(page)
    opening = page.get_by_test_id("stChatMessage").first.inner_text()
    assert "bins" in opening
    for text in TURNS:
        say(page, text)
    messages = page.get_by_test_id("stChatMessage")
    assert messages.count() == 1 + 2 * len(TURNS)
    assert page.get_by_text("Why, and a better reply").count() == len(TURNS)
    page.get_by_role("button", name="End session").click()
    page.get_by_role("heading", name="Debrief: Stressed partner").wait_for(timeout=20000)
    expect(page.get_by_role("button", name="Try again from here")).to_have_count(len(TURNS), timeout=15000)
    expect(page.get_by_test_id("stMetric")).to_have_count(6)
    wait_idle(page)
    assert "/debrief?session=" in page.url
    main = page.get_by_test_id("stMain")
    for expected in (
        "R:Q ratio",
        "Open questions",
        "Roadblock rate",
        "Mean score",
        "What this tells you",
        "You reflected",
        "MITI",
        "Openness and score, turn by turn",
        "Transcript",
        *TURNS,
    ):
        expect(main).to_contain_text(expected)
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=10000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 2600})
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "debrief.png"), full_page=True)
    assert (ARTIFACTS / "debrief.png").stat().st_size > 20_000
    assert outside == [], f"the page reached beyond the app: {outside}"
