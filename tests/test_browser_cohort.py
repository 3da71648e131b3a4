"""A cohort end to end in Chromium (LISTENLAB_AUTH=local): a facilitator sets up a cohort and an
assignment, two learners join by the link and practise it, the facilitator reviews a transcript, and no
learner sees another's session."""

import re

import pytest

from simulator.accounts import create_user
from simulator.store import open_store
from tests.browser_app import ARTIFACTS, headless_chromium, running_app, say, wait_idle

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

FACILITATOR, FACILITATOR_PASSWORD = "fran", "facilitate-well-1"
LEARNERS = {"ana": "ana-listens-9", "bea": "bea-listens-7"}
COHORT = "Spring managers"
TURNS = {
    "ana": ["It sounds like you've had a horrible week.", "What's been the hardest part?"],
    "bea": ["You should just make a rota for the chores.", "That makes sense, you carry it all alone."],
}
WAIT = 30000  # generous: the machine may be busy


@pytest.fixture
def cohort_app(tmp_path):
    """The app with local logins on its own store, which already holds one facilitator account."""
    engine = open_store(f"sqlite:///{tmp_path / 'app.db'}")
    create_user(engine, FACILITATOR, "facilitator", password=FACILITATOR_PASSWORD)
    engine.dispose()
    with running_app(tmp_path, LISTENLAB_AUTH="local") as url:
        yield url


@pytest.fixture
def browser():
    with headless_chromium() as chromium:
        yield chromium


def new_page(browser, url: str):
    """A browser of its own (separate cookies), opened at `url`."""
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.goto(url)
    wait_idle(page)
    return page


def main(page):
    return page.get_by_test_id("stMain")


def log_in(page, username: str, password: str, heading: str | re.Pattern | None = None) -> None:
    """Log in on the page shown, then wait for the page the login leads to (the home page by default)."""
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=heading or f"Welcome, {username}").wait_for(timeout=WAIT)
    wait_idle(page)


def create_cohort(page, url: str) -> str:
    """Create the cohort on the cohort page; returns its join link as shown."""
    page.goto(f"{url}/cohort")
    page.get_by_label("Cohort name").fill(COHORT)
    page.get_by_role("button", name="Create cohort").click()
    page.get_by_role("heading", name=COHORT).wait_for(timeout=WAIT)
    wait_idle(page)
    link = re.search(r"https?://\S+/join\?code=[A-Z0-9]+", main(page).inner_text())
    assert link, main(page).inner_text()
    return link.group(0)


def create_assignment(page) -> None:
    """Assign the persona shown first, passed with two turns and at most three attempts."""
    page.get_by_label("Minimum learner turns").fill("2")
    page.get_by_label("Maximum attempts").fill("3")
    page.get_by_role("button", name="Create assignment").click()
    expect(main(page)).to_contain_text("learners see it on their home page", timeout=WAIT)
    wait_idle(page)


def join_and_practise(browser, link: str, username: str) -> tuple[object, str]:
    """A learner joins by the link (creating their account), reloads, practises the assignment; returns
    their page and the id of the session they ended."""
    page = new_page(browser, link)
    expect(main(page)).to_contain_text(COHORT)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(LEARNERS[username])
    page.get_by_role("button", name="Create account and join").click()
    page.get_by_role("heading", name=f"Welcome, {username}").wait_for(timeout=WAIT)
    expect(main(page)).to_contain_text("at least 2 turns of yours")
    expect(main(page)).to_contain_text("not started")
    page.reload()
    page.get_by_role("heading", name=f"Welcome, {username}").wait_for(timeout=WAIT)
    wait_idle(page)
    assert "Log in" not in [b.inner_text() for b in page.get_by_role("button").all()]
    page.get_by_role("button", name="Start this assignment").click()
    expect(page.get_by_text(f"Assignment for {COHORT}")).to_be_visible(timeout=WAIT)
    wait_idle(page)
    for text in TURNS[username]:
        say(page, text)
    page.get_by_role("button", name="End session").click()
    page.get_by_role("heading", name=re.compile("^Debrief: ")).wait_for(timeout=WAIT)
    wait_idle(page)
    return page, page.url.split("session=")[1]


def review_first_turn(page) -> None:
    """Override the grade of the session's first learner turn, with a reason."""
    page.get_by_text("Review this turn").first.click()
    form = page.get_by_test_id("stForm").first
    form.get_by_label("Reason").fill("A reflection, and a good one.")
    form.get_by_role("button", name="Override grade").click()
    expect(main(page)).to_contain_text("overrode the grade", timeout=WAIT)
    wait_idle(page)


def test_a_cohort_from_join_link_to_reviewed_transcript(cohort_app, browser):
    url = cohort_app
    facilitator = new_page(browser, url)
    log_in(facilitator, FACILITATOR, FACILITATOR_PASSWORD)
    link = create_cohort(facilitator, url)
    create_assignment(facilitator)

    assert link.startswith(f"{url}/join?code=")
    ana, ana_session = join_and_practise(browser, link, "ana")
    bea, bea_session = join_and_practise(browser, link, "bea")
    assert ana_session != bea_session

    returning = new_page(browser, f"{url}/debrief?session={ana_session}")
    log_in(returning, "ana", LEARNERS["ana"], heading=re.compile("^Debrief: "))
    assert returning.url.endswith(f"/debrief?session={ana_session}")
    expect(main(returning)).to_contain_text(TURNS["ana"][0])

    ana.goto(f"{url}/debrief?session={bea_session}")
    wait_idle(ana)
    expect(main(ana)).to_contain_text(f"You do not have access to session {bea_session}", timeout=WAIT)
    for text in TURNS["bea"]:
        expect(main(ana)).not_to_contain_text(text)

    facilitator.goto(f"{url}/cohort")
    wait_idle(facilitator)
    board = main(facilitator)
    grid = board.get_by_test_id("stTable").first
    for name in LEARNERS:
        expect(grid).to_contain_text(name, timeout=WAIT)
    expect(grid).to_contain_text("(1 attempt(s), best")
    expect(board.get_by_role("button", name="Open transcript")).to_have_count(2)
    board.get_by_role("button", name="Open transcript").first.click()
    facilitator.get_by_role("heading", name=re.compile("^Review: bea")).wait_for(timeout=WAIT)
    wait_idle(facilitator)
    expect(main(facilitator)).to_contain_text(TURNS["bea"][0])
    expect(main(facilitator).get_by_role("button", name="Try again from here")).to_have_count(0)
    review_first_turn(facilitator)

    facilitator.goto(f"{url}/cohort")
    wait_idle(facilitator)
    expect(main(facilitator)).to_contain_text("on 0 of 1 reviewed turn(s)", timeout=WAIT)
    ARTIFACTS.mkdir(exist_ok=True)
    facilitator.set_viewport_size({"width": 1400, "height": 2200})
    wait_idle(facilitator)
    facilitator.screenshot(path=str(ARTIFACTS / "cohort-dashboard.png"), full_page=True)
    assert (ARTIFACTS / "cohort-dashboard.png").stat().st_size > 20_000
