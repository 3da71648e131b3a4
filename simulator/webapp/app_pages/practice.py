"""Practice: choose a persona, talk with them, see feedback beside every turn, end for the debrief."""

import streamlit as st

from simulator.app.assignment_views import assignment_banner
from simulator.app.services import coalesce, collect_ready_feedback
from simulator.app.state import UIState, reload_session, services, show_debrief, start_practice, ui_state
from simulator.app.widgets import feedback_panel, persona_card
from simulator.recording import SessionMovedOn, TurnRecord
from simulator.session import PracticeSession, ReplyFailed, effective_grade

CHAT_WIDTHS = [3, 2]


def open_linked_persona(state: UIState) -> None:
    """?persona=ID opens that persona at once (or keeps its open session), then leaves the URL clean."""
    persona_id = st.query_params.get("persona")
    if not persona_id:
        return
    del st.query_params["persona"]
    if persona_id not in services().catalog.load().entries:
        st.error(f"There is no persona “{persona_id}”. Choose one below.")
    elif state.session is None or state.session.persona.id != persona_id:
        start_practice(persona_id)


def choose_persona() -> None:
    st.title("Practise listening")
    st.markdown(
        "Choose someone to talk with. Listen well and they open up; fix or judge and they close down."
    )
    if services().settings.auth != "none":
        st.caption("Free practice is private: only you see it.")
    entries = list(services().catalog.load().entries.values())
    columns = st.columns(3)
    for position, entry in enumerate(sorted(entries, key=lambda e: (e.persona.difficulty, e.persona.title))):
        with columns[position % 3]:
            if persona_card(entry, key=f"start-{entry.persona.id}"):
                start_practice(entry.persona.id)
                st.rerun()


def header(state: UIState, session: PracticeSession) -> None:
    persona = session.persona
    title, controls = st.columns([4, 1], vertical_alignment="bottom")
    title.title(persona.title)
    with controls:
        if st.button("End session", type="primary", width="stretch"):
            session.end()
            state.session = None
            show_debrief(session.id)
        state.show_openness = st.toggle(
            "Openness meter", value=state.show_openness, key="openness-meter", help="Show how open they are."
        )
    with st.expander("The situation and your goal", expanded=not session.learner_turns):
        st.markdown(persona.situation)
        st.markdown(f"**Your goal:** {persona.learner_goal}")
    assignment = services().assignment(session.info.assignment_id, state.actor)
    if assignment is not None:
        st.info(assignment_banner(assignment), icon=":material/assignment:")
    if state.show_openness:
        st.progress(session.state.openness, text=f"How open they are now: {session.state.openness:.2f}")


def show_turn(session: PracticeSession, turn: TurnRecord, show_openness: bool) -> None:
    chat, notes = st.columns(CHAT_WIDTHS, gap="medium")
    with chat, st.chat_message("user" if turn.role == "learner" else "assistant"):
        st.markdown(turn.text)
    if turn.role == "learner":
        with notes:
            feedback_panel(effective_grade(turn), turn.openness, turn.index in session.pending, show_openness)


def stream_reply(state: UIState, session: PracticeSession) -> None:
    chat, _ = st.columns(CHAT_WIDTHS, gap="medium")
    with chat, st.chat_message("assistant"):
        try:
            st.write_stream(coalesce(session.stream_reply()))
            state.reply_error = None
        except ReplyFailed as exc:
            state.reply_error = str(exc)
        except SessionMovedOn as exc:
            offer_reload(exc)


def send(state: UIState, session: PracticeSession, text: str) -> None:
    """Store the learner's turn first, show it with its feedback, then stream the reply."""
    if session.reply_pending:
        stream_reply(state, session)
        if session.reply_pending:
            st.warning(f"Not sent yet: “{text}”. The reply to your previous turn is still missing.")
            return
    try:
        turn = session.submit(text)
    except SessionMovedOn as exc:
        offer_reload(exc, text)
        return
    show_turn(session, turn, state.show_openness)
    stream_reply(state, session)


def offer_reload(problem: SessionMovedOn, unsent: str | None = None) -> None:
    """Another tab or window wrote this session first: nothing was overwritten; reload to carry on."""
    st.error(str(problem) + (f" Not sent: “{unsent}”." if unsent else ""))
    st.button("Reload the session", on_click=reload_session, type="primary")


def offer_retry(state: UIState) -> None:
    st.error(state.reply_error)
    if st.button("Retry the reply"):
        state.reply_error = None
        st.rerun()


@st.fragment(run_every=1.0)
def poll_feedback(session: PracticeSession) -> None:
    """Show slower feedback as soon as it arrives."""
    if collect_ready_feedback(session):
        st.rerun()


def conversation(state: UIState, session: PracticeSession) -> None:
    header(state, session)
    if state.notice:
        st.info(state.notice)
        state.notice = None
    collect_ready_feedback(session)
    for turn in session.turns:
        show_turn(session, turn, state.show_openness)
    text = st.chat_input("Your reply — press Enter to send")
    if text and text.strip():
        send(state, session, text)
    elif session.reply_pending and state.reply_error is None:
        stream_reply(state, session)
    if state.reply_error:
        offer_retry(state)
    if session.pending:
        poll_feedback(session)


state = ui_state()
open_linked_persona(state)
if state.session is None:
    choose_persona()
else:
    conversation(state, state.session)
