"""Benchmark the browser app: time from pressing Enter to the first streamed token of the reply.

Usage: python benchmarks/bench_app_latency.py [--turns 10] [--json OUT.json]

Starts `listenlab app` on 127.0.0.1 with a throwaway database, opens /practice?persona=stressed-partner in
headless Chromium and holds a conversation. In the page, a keydown listener stamps the Enter press and a
MutationObserver stamps the moment the persona's new chat message first shows text; the difference is
what the learner waits (both stamps on the page's clock). Two set-ups:
  embedded: the default (scripted speaker, offline grader; no model, no network);
  openai+300ms: the speaker behind the local OpenAI-compatible test server (tests/openai_server.py)
  answering after 300 ms, through the real OpenAI client.
Each learner turn is stored, graded and answered inside that window, as in real use.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chromium import launch_chromium  # noqa: E402
from tests.openai_server import OpenAIServer  # noqa: E402

LEARNER_LINES = [
    "It sounds like you've had a horrible week.",
    "What's been the hardest part?",
    "That makes sense, with everything landing on you.",
    "How has it been with your mum since the fall?",
    "You're frightened something is changing with her.",
    "What's that been like, carrying it on your own?",
    "It sounds like nobody has asked how you are.",
    "What would help most this weekend?",
    "You've been holding all of it together for weeks.",
    "What do you need from me right now?",
]
STAMP_JS = """
() => {
  const bench = window.__bench = {t0: null, t1: null, seen: 0};
  const replies = () => document.querySelectorAll('[data-testid=stChatMessageAvatarAssistant]');
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.dataset.testid === 'stChatInputTextArea') {
      bench.t0 = performance.now(); bench.t1 = null; bench.seen = replies().length;
    }
  }, true);
  new MutationObserver(() => {
    if (bench.t0 === null || bench.t1 !== null) return;
    const all = replies();
    if (all.length <= bench.seen) return;
    const message = all[all.length - 1].closest('[data-testid=stChatMessage]');
    const content = message && message.querySelector('[data-testid=stChatMessageContent]');
    if (content && content.innerText.trim().length > 0) bench.t1 = performance.now();
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(folder: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`listenlab app` on a free port with its own database; returns the process and base URL."""
    port = free_port()
    env = {
        **os.environ,
        "LISTENLAB_DB_URL": f"sqlite:///{folder / 'bench.db'}",
        "LISTENLAB_PERSONAS_DIR": str(folder / "personas"),
        "PYTHONPATH": str(ROOT),
        **env_extra,
    }
    command = [
        sys.executable,
        "-m",
        "simulator.cli_app",
        "app",
        "--address",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the app did not start")


def wait_idle(page) -> None:
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=30000)


def converse(browser, url: str, turns: int) -> list[float]:
    """Milliseconds from Enter to the reply's first token, for each learner turn."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/practice?persona=stressed-partner")
    page.get_by_test_id("stChatMessageAvatarAssistant").first.wait_for(timeout=30000)
    wait_idle(page)
    page.evaluate(STAMP_JS)
    waits = []
    for turn in range(turns):
        page.get_by_test_id("stChatInputTextArea").fill(LEARNER_LINES[turn % len(LEARNER_LINES)])
        page.keyboard.press("Enter")
        page.wait_for_function("() => window.__bench.t1 !== null", timeout=30000)
        waits.append(page.evaluate("() => window.__bench.t1 - window.__bench.t0"))
        wait_idle(page)
    page.close()
    return waits


def core_loop(env_extra: dict[str, str], turns: int) -> list[float]:
    """The same turns without browser or Streamlit: submit() (store, grade) to the reply's first piece."""
    from simulator.app.catalog import PersonaCatalog
    from simulator.app.services import build_services
    from simulator.settings import Settings

    with tempfile.TemporaryDirectory(prefix="listenlab-bench-") as folder:
        settings = Settings(db_url=f"sqlite:///{folder}/core.db", **settings_fields(env_extra))
        catalog = PersonaCatalog(user_dir=Path(folder) / "personas")
        session = build_services(settings, catalog).start("stressed-partner")
        waits = []
        for turn in range(turns):
            start = time.perf_counter()
            session.submit(LEARNER_LINES[turn % len(LEARNER_LINES)])
            pieces = session.stream_reply()
            next(pieces)
            waits.append((time.perf_counter() - start) * 1000)
            "".join(pieces)
        session.end()
        session.recorder.engine.dispose()
    return waits


def settings_fields(env_extra: dict[str, str]) -> dict[str, str]:
    names = {
        "LISTENLAB_SPEAKER": "speaker",
        "LISTENLAB_GRADER": "grader",
        "OPENAI_BASE_URL": "openai_base_url",
        "OPENAI_API_KEY": "openai_api_key",
        "LISTENLAB_MODEL": "model",
    }
    return {names[key]: value for key, value in env_extra.items() if key in names}


def summary(name: str, waits: list[float]) -> dict:
    ordered = sorted(waits)
    return {
        "setup": name,
        "turns": len(waits),
        "median_ms": round(statistics.median(waits), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
        "first_turn_ms": round(waits[0], 1),
    }


def measure(browser, name: str, env_extra: dict[str, str], turns: int) -> list[dict]:
    """Browser figures for one set-up, and the core loop's share of them."""
    with tempfile.TemporaryDirectory(prefix="listenlab-bench-") as folder:
        process, url = start_app(Path(folder), env_extra)
        try:
            converse(browser, url, 1)  # warm-up: first page load builds the app's services
            in_browser = summary(f"{name}: browser, Enter to first token", converse(browser, url, turns))
        finally:
            process.terminate()
            process.wait(timeout=10)
    return [
        in_browser,
        summary(f"{name}: core loop only, submit() to first piece", core_loop(env_extra, turns)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright, OpenAIServer(latency=0.3) as server:
        browser = launch_chromium(playwright)
        base = {"LISTENLAB_SPEAKER": "scripted", "LISTENLAB_GRADER": "offline"}
        results += measure(browser, "embedded default", base, args.turns)
        remote = {
            **base,
            "LISTENLAB_SPEAKER": "openai",
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "test",
            "LISTENLAB_MODEL": "test-model",
        }
        results += measure(browser, "openai test server +300 ms", remote, args.turns)
        browser.close()
    print("| set-up | turns | median | p90 | min | max | first turn |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['setup']} | {r['turns']} | {r['median_ms']} ms | {r['p90_ms']} ms | {r['min_ms']} ms "
            f"| {r['max_ms']} ms | {r['first_turn_ms']} ms |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
