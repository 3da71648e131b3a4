"""Streamlit forms of the cohort page: create a cohort, create an assignment with its pass criteria."""

import streamlit as st
from pydantic import ValidationError

from simulator.access import AccessDenied, Actor
from simulator.app.services import AppServices
from simulator.assignments import PassCriteria
from simulator.cohorts import CohortError, create_assignment, create_cohort, parse_date

COHORT_CHOICE = "cohort-choice"  # the selectbox key of the cohort shown


def cohort_form(svc: AppServices, actor: Actor) -> None:
    """Name a new cohort; it opens with a fresh join link."""
    with st.form("new-cohort", clear_on_submit=True):
        name = st.text_input("Cohort name", placeholder="e.g. New managers, spring 2027")
        if st.form_submit_button("Create cohort", type="primary"):
            try:
                row = create_cohort(svc.engine, actor, name)
            except (AccessDenied, CohortError) as exc:
                st.error(str(exc))
                return
            st.session_state[COHORT_CHOICE] = row.id
            st.rerun()


def criteria_inputs() -> PassCriteria:
    """The pass criteria fields (empty ones do not count); ValidationError when out of range."""
    left, right = st.columns(2)
    score = left.number_input("Minimum mean score (1-5)", min_value=1.0, max_value=5.0, value=None, step=0.5)
    roadblocks = right.number_input(
        "Maximum roadblock rate (%)", min_value=0, max_value=100, value=None, step=5
    )
    turns = left.number_input("Minimum learner turns", min_value=1, max_value=200, value=None, step=1)
    breakthrough = right.checkbox("Must reach the breakthrough")
    return PassCriteria(
        min_mean_score=score,
        breakthrough=breakthrough,
        max_roadblock_rate=None if roadblocks is None else roadblocks / 100,
        min_learner_turns=turns,
    )


def assignment_form(svc: AppServices, actor: Actor, cohort_id: int) -> None:
    """Ask the cohort to practise a persona by a date, with pass criteria learners see beforehand."""
    titles = svc.persona_titles()
    with st.form("new-assignment", clear_on_submit=True):
        persona = st.selectbox("Persona", sorted(titles, key=titles.get), format_func=titles.get)
        due = st.date_input("Due date", value=None)
        try:
            criteria = criteria_inputs()
        except ValidationError as exc:
            criteria, problem = None, exc.errors()[0]["msg"]
        attempts = st.number_input("Maximum attempts", min_value=1, max_value=100, value=None, step=1)
        if not st.form_submit_button("Create assignment", type="primary"):
            return
        if criteria is None:
            st.error(f"The pass criteria are not valid: {problem}.")
            return
        try:
            create_assignment(
                svc.engine,
                actor,
                cohort_id,
                persona,
                set(titles),
                criteria=criteria,
                due_at=parse_date(due.isoformat()) if due else None,
                max_attempts=attempts,
            )
        except (AccessDenied, CohortError) as exc:
            st.error(str(exc))
            return
        st.success(f"Assigned {titles[persona]}: learners see it on their home page.")
