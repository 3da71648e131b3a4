"""listenlab in the browser: who is logged in, the pages they may open, and the sidebar; pages only render."""

from pathlib import Path

import streamlit as st

from simulator.access import Actor, can_create_cohort
from simulator.app.account import account_sidebar
from simulator.app.state import (
    COHORT_PAGE,
    DEBRIEF_PAGE,
    HOME_PAGE,
    PAGES_DIR,
    PRACTICE_PAGE,
    services,
    sign_in,
)
from simulator.app.widgets import sidebar_setup

BATCH_PAGE = f"{PAGES_DIR}/batch.py"


def home() -> None:
    """The app's root opens the practice page at its own address, so /practice?persona=ID links work."""
    st.switch_page(PRACTICE_PAGE, query_params=st.query_params.to_dict())


def join_page() -> st.Page:
    return st.Page(f"{PAGES_DIR}/join.py", title="Join a cohort", url_path="join", visibility="hidden")


LOGIN_PAGE = f"{PAGES_DIR}/login.py"
HELD_PATHS = ("home", "practice", "debrief", "history", "cohort", "personas", "batch")


def logged_out_pages() -> list:
    """Before a login: the login page at the root and at every other page's address (so a link to
    /debrief?session=ID asks for the login, then opens it), and join links."""
    held = [st.Page(LOGIN_PAGE, title="Log in", url_path=path, visibility="hidden") for path in HELD_PATHS]
    return [st.Page(LOGIN_PAGE, title="Log in", url_path="login", default=True), *held, join_page()]


def practice_pages() -> list:
    return [
        st.Page(PRACTICE_PAGE, title="Practice", url_path="practice"),
        st.Page(DEBRIEF_PAGE, title="Debrief", url_path="debrief"),
        st.Page(f"{PAGES_DIR}/history.py", title="History and progress", url_path="history"),
    ]


def facilitator_pages() -> list:
    """Cohorts, personas and batch grading (the last when its page is installed)."""
    pages = [
        st.Page(COHORT_PAGE, title="Cohorts", url_path="cohort"),
        st.Page(f"{PAGES_DIR}/personas.py", title="Personas", url_path="personas"),
    ]
    if Path(BATCH_PAGE).is_file():
        pages.append(st.Page(BATCH_PAGE, title="Batch grading", url_path="batch"))
    return pages


def app_pages(actor: Actor | None, auth: str) -> list:
    """The pages this user may open. One local learner (no login) gets every tool and the root opens
    Practice; with accounts, the root is the learner's home and cohort tools are for facilitators."""
    if actor is None:
        return logged_out_pages()
    if auth == "none":
        root = st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")
        return [root, *practice_pages(), *facilitator_pages()[1:], join_page()]
    root = st.Page(HOME_PAGE, title="Home", url_path="home", default=True)
    tools = facilitator_pages() if can_create_cohort(actor) else []
    return [root, *practice_pages(), *tools, join_page()]


st.set_page_config(page_title="listenlab", layout="wide")
state = sign_in()
page = st.navigation(app_pages(state.actor, services().settings.auth))
if state.actor is not None:
    if services().settings.auth == "none" or can_create_cohort(state.actor):  # learners need no set-up
        sidebar_setup(services())
    account_sidebar(services(), state.actor)
page.run()
