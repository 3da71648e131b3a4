"""Debrief: the session's metrics, what they mean, openness and score per turn, the graded transcript; for a
cohort's facilitator, the same read-only with a comment and a grade override on each learner turn."""

import streamlit as st

from simulator.access import AccessDenied
from simulator.accounts import actor_by_id
from simulator.app.debrief import TurnView, debrief_notes, label_names, turn_views
from simulator.app.review_forms import ai_label_note, author_names, review_forms, show_notes
from simulator.app.state import PRACTICE_PAGE, retry_from, services, ui_state
from simulator.app.widgets import metrics_panel, turn_chart
from simulator.cohorts import CohortError
from simulator.grader.measured import measured_agreement
from simulator.reviews import turn_notes
from simulator.session import ai_grade
from simulator.store import StoredSession


def chosen_session() -> StoredSession | None:
    """The session named by ?session=ID, else the latest finished one."""
    svc = services()
    session_id = st.query_params.get("session")
    if not session_id:
        history = svc.history(ui_state().actor)
        session_id = history[-1].id if history else None
    if session_id is None:
        return None
    try:
        return svc.stored(session_id, ui_state().actor)
    except AccessDenied as exc:
        st.error(str(exc))
        return None


def is_reviewer(stored: StoredSession) -> bool:
    """Someone other than the learner reads this session: its cohort's facilitator (read-only)."""
    return stored.info.user_id != ui_state().actor.id


def turn_body(view: TurnView, overridden: bool, ai_said: str, who: str) -> None:
    score = f"{view.score:g}/5" if view.score is not None else "no score"
    st.markdown(f"**Turn {view.number}** · {score} · {label_names(view.grade)}")
    st.markdown(f"**{who}:** {view.text}")
    if overridden:
        st.caption(ai_said)
    elif view.grade is not None and view.grade.ok:
        st.caption(view.grade.rationale)
        if view.grade.suggestion:
            st.markdown(f"**Better:** {view.grade.suggestion}")
    if view.reply:
        st.markdown(f"**They said:** {view.reply}")


def offer_retry(stored: StoredSession, view: TurnView) -> None:
    if st.button("Try again from here", key=f"retry-{view.index}", help="Replay up to this turn."):
        try:
            retry_from(stored.info.id, view.index)
        except CohortError as exc:
            st.error(str(exc))


def transcript(stored: StoredSession, views: list[TurnView]) -> None:
    """Every learner turn with its grade and suggestion, the reply it got, facilitators' notes, and a way
    to retry it (the learner) or to review it (a facilitator)."""
    svc, actor, reviewing = services(), ui_state().actor, is_reviewer(stored)
    records = {turn.index: turn for turn in stored.turns}
    notes = turn_notes(svc.engine, actor, stored.info.id)
    names = author_names(svc, notes)
    st.subheader("Transcript")
    st.markdown(f"> {stored.turns[0].text}" if stored.turns else "")
    for view in views:
        record = records[view.index]
        with st.container(border=True):
            who = "Learner" if reviewing else "You"
            turn_body(view, record.override is not None, ai_label_note(ai_grade(record)), who)
            show_notes(notes.get(view.index, []), names)
            if reviewing:
                review_forms(svc, actor, stored.info.id, view.index)
            else:
                offer_retry(stored, view)


def title(stored: StoredSession, persona_title: str) -> str:
    if not is_reviewer(stored):
        return f"Debrief: {persona_title}"
    learner = actor_by_id(services().engine, stored.info.user_id or "")
    return f"Review: {learner.username if learner else 'a former learner'} · {persona_title}"


def debrief(stored: StoredSession) -> None:
    persona = services().persona_of(stored.info)
    st.title(title(stored, persona.title))
    started = stored.info.started_at.astimezone().strftime("%d %b %Y, %H:%M")
    info, turns = stored.info, len(stored.learner_turns)
    st.caption(f"{started} · {turns} turns · speaker `{info.speaker}` · grader `{info.grader}`")
    st.caption(measured_agreement(info.grader))
    if stored.metrics is None:
        if is_reviewer(stored):
            st.warning("The learner has not ended this session yet: its debrief follows when they do.")
            return
        st.warning("This session is still open: end it on the Practice page to see its debrief.")
        st.page_link(PRACTICE_PAGE, label="Back to practice", icon=":material/forum:")
        return
    views = turn_views(stored, persona)
    metrics_panel(stored.metrics)
    st.subheader("What this tells you")
    st.markdown("\n".join(f"- {note}" for note in debrief_notes(stored.metrics, views, persona)))
    if views:
        st.subheader("Openness and score, turn by turn")
        st.altair_chart(turn_chart(views), width="stretch")
    transcript(stored, views)


ui_state()
stored = chosen_session()
if stored is None:
    st.title("Debrief")
    st.info("No finished session yet. Practise, then press “End session” to see your debrief here.")
    st.page_link(PRACTICE_PAGE, label="Start practising", icon=":material/forum:")
else:
    debrief(stored)
