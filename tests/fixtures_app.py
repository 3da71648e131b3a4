"""Fixtures for driving the Streamlit app with AppTest: a private store and persona folder, a fake grader."""

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import streamlit as st
import yaml
from streamlit.testing.v1 import AppTest

from simulator import backends
from simulator.app.auth import TOKEN_KEY
from simulator.app.catalog import PersonaCatalog
from simulator.app.services import AppServices, build_services
from simulator.grader.base import GradeRequest
from simulator.grades import TurnGrade
from simulator.labels import Label
from simulator.logins import issue_ticket, redeem_ticket
from simulator.settings import Settings
from simulator.webapp import APP_SCRIPT, PAGES_DIR
from tests.persona_factory import persona_data

APP = APP_SCRIPT
CHECKOUT_APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
PRACTICE, DEBRIEF = str(PAGES_DIR / "practice.py"), str(PAGES_DIR / "debrief.py")
HISTORY, PERSONAS = str(PAGES_DIR / "history.py"), str(PAGES_DIR / "personas.py")
RULES: list[tuple[str, Label, float, str | None]] = [
    ("should", Label.ADVICE, 2.0, "It sounds like the week has been relentless."),
    ("sounds like", Label.REFLECTION, 4.5, None),
    ("what", Label.OPEN_QUESTION, 4.0, None),
    ("?", Label.CLOSED_QUESTION, 3.0, "What has this week been like for you?"),
]


class KeywordGrader:
    """A predictable grader for UI tests: the first matching keyword decides the label."""

    name = "keywords@1"

    def grade(self, request: GradeRequest) -> TurnGrade:
        text = request.text.lower()
        label, score, suggestion = next(
            ((lab, sc, sug) for key, lab, sc, sug in RULES if key in text), (Label.OTHER, 3.0, None)
        )
        return TurnGrade(
            labels=[label],
            primary=label,
            score=score,
            rationale=f"keyword grader: {label.value}",
            suggestion=suggestion,
            grader=self.name,
        )

    def grade_many(self, requests: list[GradeRequest]) -> list[TurnGrade]:
        return [self.grade(request) for request in requests]


def write_persona(folder: Path, **overrides) -> dict:
    """Save a valid test persona as YAML in a persona folder."""
    data = persona_data(**overrides)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{data['id']}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return data


@pytest.fixture
def app_env(tmp_path, monkeypatch) -> Iterator[Path]:
    """A private database and persona folder, the scripted speaker and the keyword grader."""
    monkeypatch.setenv("LISTENLAB_DB_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("LISTENLAB_PERSONAS_DIR", str(tmp_path / "personas"))
    monkeypatch.setenv("LISTENLAB_SPEAKER", "scripted")
    monkeypatch.setenv("LISTENLAB_GRADER", "offline")
    grader = KeywordGrader()
    monkeypatch.setattr(backends, "fast_grader", lambda: grader)
    write_persona(tmp_path / "personas")
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()


@pytest.fixture
def svc(app_env) -> AppServices:
    """Services on the same store and personas the app uses (to arrange and inspect)."""
    return build_services(Settings(), PersonaCatalog(user_dir=app_env / "personas"))


def new_app() -> AppTest:
    """A fresh browser session on the app."""
    return AppTest.from_file(str(APP), default_timeout=30)


def page(path: str, **query: str) -> AppTest:
    """A fresh browser session opened on one page."""
    at = new_app().run()
    at.query_params.update(query)
    return at.switch_page(path).run()


def button(at: AppTest, label: str):
    """The first button with this label."""
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def texts(at: AppTest) -> str:
    """Every markdown, caption and chat text on the page, joined (for 'is it shown' checks)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts)


def say(at: AppTest, *turns: str) -> AppTest:
    """Send learner turns through the chat input, one run each."""
    for text in turns:
        at.chat_input[0].set_value(text).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


HOME, JOIN = str(PAGES_DIR / "home.py"), str(PAGES_DIR / "join.py")
COHORT, LOGIN = str(PAGES_DIR / "cohort.py"), str(PAGES_DIR / "login.py")


@pytest.fixture
def local_env(app_env, monkeypatch) -> Path:
    """app_env with local accounts (LISTENLAB_AUTH=local)."""
    monkeypatch.setenv("LISTENLAB_AUTH", "local")
    st.cache_resource.clear()
    return app_env


def login_token(engine, actor) -> str:
    """The session token a browser holds after logging in as `actor` (a ticket, traded)."""
    return redeem_ticket(engine, issue_ticket(engine, actor))


def browser_of(token: str | None) -> AppTest:
    """A fresh browser session holding this login (AppTest cannot send the cookie: the token goes where
    the app reads it when no cookie came)."""
    at = new_app()
    if token:
        at.session_state[TOKEN_KEY] = token
    return at


def page_as(token: str | None, path: str, **query: str) -> AppTest:
    """A fresh browser session of a logged-in user, opened on one page."""
    at = browser_of(token).run()
    at.query_params.update(query)
    return at.switch_page(path).run()


def redirect_target(at: AppTest) -> str | None:
    """Where the page sent the browser (window.location.replace in an st.html script), if anywhere."""
    for element in at.get("html"):
        found = re.search(r'window\.location\.replace\("([^"]+)"\)', element.proto.body)
        if found:
            return found.group(1)
    return None


def ticket_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["ticket"][0]
