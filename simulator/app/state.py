"""The app's state in Streamlit: services built once per process, one UIState per browser session."""

from dataclasses import dataclass

import streamlit as st

from simulator.access import Actor
from simulator.app.auth import current_actor
from simulator.app.catalog import PersonaCatalog, user_personas_dir
from simulator.app.services import AppServices, build_services
from simulator.session import PracticeSession
from simulator.settings import Settings
from simulator.webapp import PAGES_DIR

STATE_KEY = "listenlab"
PRACTICE_PAGE = f"{PAGES_DIR}/practice.py"
DEBRIEF_PAGE = f"{PAGES_DIR}/debrief.py"
HOME_PAGE = f"{PAGES_DIR}/home.py"
COHORT_PAGE = f"{PAGES_DIR}/cohort.py"


@dataclass
class UIState:
    """Everything a browser session remembers between reruns."""

    actor: Actor | None = None  # None until someone logs in (local and oidc modes)
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
    """This browser session's state (set up by the entry script's sign_in on every run)."""
    state = st.session_state.get(STATE_KEY)
    return state if state is not None else sign_in()


def sign_in() -> UIState:
    """Who this run acts for, read afresh (a revoked login or a new cohort shows at once); a new user's
    state resumes their session left open in the store."""
    svc, state = services(), st.session_state.get(STATE_KEY)
    actor = current_actor(svc)
    if state is None or _who(state.actor) != _who(actor):
        session = svc.resume_open(actor) if actor else None
        state = st.session_state[STATE_KEY] = UIState(actor=actor, session=session)
    state.actor = actor
    return state


def _who(actor: Actor | None) -> str | None:
    return actor.id if actor else None


def _switch_to(session: PracticeSession) -> None:
    """Make `session` the one being practised, leaving the current one (if any)."""
    svc, state = services(), ui_state()
    if state.session is not None and state.session.id != session.id:
        svc.leave(state.session, state.actor)
    state.session, state.reply_error = session, None


def reload_session() -> None:
    """Rebuild the session being practised from the store (after another tab or window moved it on)."""
    state = ui_state()
    state.session.executor.shutdown(wait=False)
    state.session, state.reply_error = services().resume(state.session.id, state.actor), None


def start_practice(persona_id: str) -> None:
    """Leave the current session (if any) and start one with this persona."""
    _switch_to(services().start(persona_id, ui_state().actor))


def start_assignment(assignment_id: int) -> None:
    """Start an attempt at one of the learner's assignments and go practise it (CohortError when it is
    closed or its attempts are used up; the current session then stays as it was)."""
    _switch_to(services().start_assignment(assignment_id, ui_state().actor))
    st.switch_page(PRACTICE_PAGE)


def forget_session() -> None:
    """Drop the session in hand without storing anything more (its rows were deleted)."""
    state = ui_state()
    if state.session is not None:
        state.session.executor.shutdown(wait=False)
    state.session = None


def show_debrief(session_id: str) -> None:
    """Go to the debrief of a session."""
    st.switch_page(DEBRIEF_PAGE, query_params={"session": session_id})


def retry_from(session_id: str, learner_index: int) -> None:
    """Start a session replaying a stored one up to a learner turn, and go practise it."""
    _switch_to(services().retry_from(session_id, learner_index, ui_state().actor))
    ui_state().notice = (
        "You're back at that moment: the conversation so far is replayed. Try a different reply."
    )
    st.switch_page(PRACTICE_PAGE)
