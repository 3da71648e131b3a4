"""The app's state in Streamlit: services built once per process, one UIState per browser session."""

from dataclasses import dataclass

import streamlit as st

from simulator.access import LOCAL_ACTOR, Actor
from simulator.app.catalog import PersonaCatalog, user_personas_dir
from simulator.app.services import AppServices, build_services
from simulator.session import PracticeSession
from simulator.settings import Settings
from simulator.webapp import PAGES_DIR

STATE_KEY = "listenlab"
PRACTICE_PAGE = f"{PAGES_DIR}/practice.py"
DEBRIEF_PAGE = f"{PAGES_DIR}/debrief.py"


@dataclass
class UIState:
    """Everything a browser session remembers between reruns."""

    actor: Actor = LOCAL_ACTOR
    session: PracticeSession | None = None
    show_openness: bool = False
    reply_error: str | None = None
    notice: str | None = None


@st.cache_resource(show_spinner="Opening the practice room…")
def _services(key: str, _settings: Settings) -> AppServices:
    return build_services(_settings, PersonaCatalog(user_dir=user_personas_dir()))


def services() -> AppServices:
    """The app's services for the current settings (built on first use, then shared)."""
    settings = Settings()
    return _services(f"{settings.model_dump_json()}|{user_personas_dir()}", settings)


def ui_state() -> UIState:
    """This browser session's state; a new one resumes the session left open in the store."""
    state = st.session_state.get(STATE_KEY)
    if state is None:
        state = st.session_state[STATE_KEY] = UIState(session=services().resume_open(LOCAL_ACTOR))
    return state


def start_practice(persona_id: str) -> None:
    """Leave the current session (if any) and start one with this persona."""
    svc, state = services(), ui_state()
    if state.session is not None:
        svc.leave(state.session, state.actor)
    state.session, state.reply_error = svc.start(persona_id, state.actor), None


def show_debrief(session_id: str) -> None:
    """Go to the debrief of a session."""
    st.switch_page(DEBRIEF_PAGE, query_params={"session": session_id})


def retry_from(session_id: str, learner_index: int) -> None:
    """Start a session replaying a stored one up to a learner turn, and go practise it."""
    svc, state = services(), ui_state()
    if state.session is not None:
        svc.leave(state.session, state.actor)
    state.session, state.reply_error = svc.retry_from(session_id, learner_index, state.actor), None
    state.notice = "You're back at that moment: the conversation so far is replayed. Try a different reply."
    st.switch_page(PRACTICE_PAGE)
