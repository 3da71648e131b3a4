"""Cohorts (facilitators): create one and share its link, members, assignments, and what learners did."""

import pandas as pd
import streamlit as st

from simulator.access import AccessDenied
from simulator.app.cohort_forms import COHORT_CHOICE, assignment_form, cohort_form
from simulator.app.cohort_views import (
    agreement_text,
    join_link,
    progress_rows,
    roadblock_rows,
    site_base,
    skill_rows,
)
from simulator.app.state import services, show_debrief, ui_state
from simulator.cohort_report import gradebook_csv
from simulator.cohorts import CohortError, cohort_members, remove_member, renew_code, visible_cohorts
from simulator.dashboard import CohortDashboard, CohortSession, cohort_dashboard, worth_discussing
from simulator.store.models import CohortRow


def table(rows: list[dict], empty: str) -> None:
    if rows:
        st.table(pd.DataFrame(rows).set_index(list(rows[0])[0]))
    else:
        st.caption(empty)


def join_details(cohort: CohortRow) -> None:
    link = join_link(site_base(services().settings.base_url, st.context.url), cohort.join_code)
    st.markdown(f"**Join link** (send it to your learners): `{link}`")
    expires = (
        f", valid until {cohort.code_expires_at.astimezone():%d %b %Y}" if cohort.code_expires_at else ""
    )
    st.caption(f"Join code {cohort.join_code}{expires}.")
    if st.button("New join code", help="The old link stops working."):
        renew_code(services().engine, ui_state().actor, cohort.id)
        st.rerun()


def members(cohort_id: int) -> None:
    actor = ui_state().actor
    for user, role in cohort_members(services().engine, actor, cohort_id):
        name, action = st.columns([4, 1], vertical_alignment="center")
        name.markdown(f"{user.username} · {role}")
        if role == "learner" and action.button("Remove", key=f"remove-{user.id}"):
            remove_member(services().engine, actor, cohort_id, user.username)
            st.rerun()


def session_line(
    s: CohortSession, names: dict[str, str], titles: dict[str, str], note: str, key: str, label: str
) -> None:
    """One linked session: whose, which persona, when, a note, and a button to open its transcript."""
    line, action = st.columns([4, 1], vertical_alignment="center")
    when = f"{s.started_at.astimezone():%d %b %Y %H:%M}"
    line.markdown(f"**{names[s.learner_id]}** · {titles.get(s.persona_id, s.persona_id)} · {when} · {note}")
    if action.button(label, key=key):
        show_debrief(s.id)


def sessions(board: CohortDashboard, titles: dict[str, str]) -> None:
    names = {learner.id: learner.username for learner in board.learners}
    if not board.sessions:
        st.caption("No assignment sessions yet.")
    for s in reversed(board.sessions):
        state = "open" if s.ended_at is None else f"{s.metrics.learner_turns} turns" if s.metrics else "ended"
        score = f" · mean {s.metrics.mean_score:.1f}" if s.metrics and s.metrics.mean_score else ""
        session_line(s, names, titles, state + score, f"open-{s.id}", "Open transcript")


def discussion_picks(board: CohortDashboard, titles: dict[str, str]) -> None:
    """The transcripts to talk through first: the most roadblocks, then breakthroughs."""
    names = {learner.id: learner.username for learner in board.learners}
    picks = worth_discussing(board)
    if not picks:
        st.caption("Nothing to pick out yet: sessions appear here once learners finish them.")
    for pick in picks:
        session_line(pick.session, names, titles, pick.reason, f"discuss-{pick.session.id}", "Discuss")


def dashboard(cohort: CohortRow) -> None:
    svc, actor = services(), ui_state().actor
    board, titles = cohort_dashboard(svc.engine, actor, cohort.id), svc.persona_titles()
    st.header(cohort.name)
    join_details(cohort)
    st.subheader("Learners and assignments")
    table(progress_rows(board, titles), "No learners yet: send them the join link.")
    st.download_button(
        "Download the gradebook (CSV)", gradebook_csv(board), f"{cohort.name}-gradebook.csv", "text/csv"
    )
    st.subheader("Skills: first, best and latest")
    table(skill_rows(board), "Skills appear once learners finish assignment sessions.")
    st.subheader("Most common roadblocks, per persona")
    table(roadblock_rows(board, titles), "No roadblocks seen yet.")
    st.subheader("Agreement with the grader")
    st.markdown(agreement_text(board.agreement))
    st.subheader("Worth discussing")
    discussion_picks(board, titles)
    st.subheader("Sessions")
    sessions(board, titles)
    with st.expander("Members"):
        members(cohort.id)
    with st.expander("New assignment", expanded=not board.assignments):
        assignment_form(svc, actor, cohort.id)


st.title("Cohorts")
st.caption("Reports show what learners did (labels, reflections per question, roadblocks); no rankings.")
cohorts = visible_cohorts(services().engine, ui_state().actor)
with st.expander("Create a cohort", expanded=not cohorts):
    cohort_form(services(), ui_state().actor)
if cohorts:
    by_id = {c.id: c for c in cohorts}
    chosen = st.selectbox("Cohort", list(by_id), format_func=lambda i: by_id[i].name, key=COHORT_CHOICE)
    try:
        dashboard(by_id[chosen])
    except (AccessDenied, CohortError) as exc:
        st.error(str(exc))
