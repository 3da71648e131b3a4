"""End to end in a real browser: `listenlab app` on 127.0.0.1, four turns in Chromium, then the debrief."""

import pytest

from tests.browser_app import ARTIFACTS, headless_chromium, running_app, say, wait_idle

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

TURNS = [
    "It sounds like you've had a horrible week.",
    "What's been the hardest part?",
    "You should just make a rota for the chores.",
    "That makes sense — you've been carrying it all on your own.",
]


@pytest.fixture
def app_url(tmp_path):
    """The app, started with `listenlab app` on a free port, for the one local learner (no login)."""
    with running_app(tmp_path) as url:
        yield url


@pytest.fixture
def browser():
    with headless_chromium() as chromium:
        yield chromium


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
