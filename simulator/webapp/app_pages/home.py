"""Home: the learner's assignments with status, due date, how each is passed, and a way to start it."""

import streamlit as st

from simulator.access import can_create_cohort
from simulator.app.account import delete_my_data
from simulator.app.assignment_views import attempts_text, due_text, status_badge
from simulator.app.state import (
    COHORT_PAGE,
    PRACTICE_PAGE,
    forget_session,
    services,
    start_assignment,
    ui_state,
)
from simulator.cohorts import CohortError, LearnerAssignment


def persona_title(persona_id: str) -> str:
    entry = services().catalog.load().entries.get(persona_id)
    return entry.persona.title if entry else persona_id


def assignment_card(item: LearnerAssignment) -> None:
    row = item.assignment
    with st.container(border=True):
        st.markdown(f"#### {persona_title(row.persona_id)}  {status_badge(item.progress.status)}")
        st.caption(f"{item.cohort_name} · {due_text(row.due_at)} · {attempts_text(item)}")
        st.markdown("**To pass:** " + "; ".join(item.criteria.describe()) + ".")
        if item.progress.best_score is not None:
            st.markdown(f"Your best mean score so far: {item.progress.best_score:.1f} / 5")
        st.caption(
            f"Your facilitators in {item.cohort_name} will see this session, its transcript and grades. "
            "Free practice stays private to you."
        )
        usable = item.is_open and item.attempts_left != 0
        if st.button(
            "Start this assignment", key=f"assignment-{row.id}", type="primary", disabled=not usable
        ):
            try:
                start_assignment(row.id)
            except CohortError as exc:
                st.error(str(exc))


state = ui_state()
st.title(f"Welcome, {state.actor.username}")
if can_create_cohort(state.actor):
    st.page_link(
        COHORT_PAGE, label="Your cohorts: create one, assign personas, review", icon=":material/groups:"
    )
assignments = services().assignments(state.actor)
st.subheader("Your assignments")
if not assignments:
    st.info("No assignments yet. When you join a cohort by its link, its assignments appear here.")
for item in assignments:
    assignment_card(item)
st.subheader("Free practice")
st.markdown("Practise with anyone you like. Free practice is private: only you see it.")
st.page_link(PRACTICE_PAGE, label="Practise freely", icon=":material/forum:")
st.subheader("Your data")
if delete_my_data(services(), state.actor) is not None:
    forget_session()
