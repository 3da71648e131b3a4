"""History and progress: past sessions with their metrics, and each skill's first, best and latest."""

import altair as alt
import pandas as pd
import streamlit as st

from simulator.app.account import delete_my_data
from simulator.app.state import PRACTICE_PAGE, forget_session, services, show_debrief, ui_state
from simulator.app.widgets import rq_text
from simulator.store import SessionSummary
from simulator.store.progress import SkillProgress, skill_progress


def fmt(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    return f"{value:.0%}" if percent else f"{value:.2f}"


def progress_table(progress: list[SkillProgress]) -> None:
    arrows = {True: "↑ better", False: "↓ not yet", None: ""}
    rows = [
        {
            "skill": p.skill.name,
            "better when": p.skill.better,
            "first": fmt(p.first, p.skill.percent),
            "best": fmt(p.best, p.skill.percent),
            "latest": fmt(p.latest, p.skill.percent),
            "since first": arrows[p.improved],
        }
        for p in progress
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def progress_chart(progress: list[SkillProgress], history: list[SessionSummary]) -> alt.FacetChart:
    """Each skill per session (numbered oldest first), one small chart per skill."""
    number = {summary.id: position + 1 for position, summary in enumerate(history)}
    frame = pd.DataFrame(
        [
            {
                "skill": p.skill.name,
                "session": number[point.session_id],
                "when": f"{point.started_at.astimezone():%d %b %Y %H:%M}",
                "value": round(point.value, 2),
            }
            for p in progress
            for point in p.points
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("session:Q", title="Session", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("value:Q", title=None),
            tooltip=["session", "when", "value"],
        )
    )
    return (
        chart.properties(height=150, width=320)
        .facet(facet=alt.Facet("skill:N", title=None), columns=2)
        .resolve_scale(y="independent")
    )


def sessions_table(history: list[SessionSummary]) -> None:
    rows = [
        {
            "when": s.started_at.astimezone().strftime("%d %b %Y %H:%M"),
            "persona": s.persona_title,
            "turns": s.metrics.learner_turns,
            "mean score": fmt(s.metrics.mean_score, percent=False),
            "R:Q": rq_text(s.metrics),
            "R:Q band": s.metrics.rq_band,
            "open questions": fmt(s.metrics.open_question_share, percent=True),
            "roadblock rate": fmt(s.metrics.roadblock_rate, percent=True),
            "breakthrough": f"turn {s.metrics.breakthrough_turn}" if s.metrics.breakthrough else "—",
            "retry": "yes" if s.parent_id else "",
        }
        for s in reversed(history)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def session_label(s: SessionSummary) -> str:
    return f"{s.started_at.astimezone():%d %b %Y %H:%M} · {s.persona_title} · {s.metrics.learner_turns} turns"


def open_debrief(history: list[SessionSummary]) -> None:
    labels = {s.id: session_label(s) for s in reversed(history)}
    chosen = st.selectbox("Session", list(labels), format_func=labels.get)
    if st.button("Open its debrief"):
        show_debrief(chosen)


ui_state()
st.title("History and progress")
history = services().history(ui_state().actor)
if not history:
    st.info("Nothing here yet: finish a practice session and it appears here, with your progress over time.")
    st.page_link(PRACTICE_PAGE, label="Start practising", icon=":material/forum:")
else:
    progress = skill_progress(history)
    st.subheader(f"Progress over {len(history)} session(s)")
    progress_table(progress)
    st.altair_chart(progress_chart(progress, history))
    st.subheader("Past sessions")
    sessions_table(history)
    open_debrief(history)
if services().settings.auth == "none":  # with accounts, the learner's home page offers this
    st.subheader("Your data")
    if delete_my_data(services(), ui_state().actor) is not None:
        forget_session()
