"""Streamlit pieces the pages share: settings sidebar, persona card, feedback, metrics, charts."""

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy.engine import make_url

from simulator.app.catalog import PersonaEntry, split_problem
from simulator.app.debrief import TurnView
from simulator.app.services import AppServices
from simulator.grades import TurnGrade
from simulator.labels import PLAIN_WORDS, SHORT_NAMES, family
from simulator.scoring import SessionMetrics
from simulator.settings import Settings

FAMILY_COLOURS = {"listening": "green", "neutral": "gray", "roadblock": "red"}
BAND_TEXT = {
    "good": "good band (≥ 2:1)",
    "fair": "fair band (≥ 1:1)",
    "below": "below fair (< 1:1)",
    "n/a": "n/a",
}
SWITCH_HELP = """
**An OpenAI-compatible server** (OpenAI, Azure, Ollama, vLLM, llama.cpp server, LM Studio):
```bash
export LISTENLAB_SPEAKER=openai LISTENLAB_GRADER=llm
export OPENAI_BASE_URL=http://localhost:11434/v1
export OPENAI_API_KEY=sk-...  LISTENLAB_MODEL=llama3.2
listenlab app
```
**A local GGUF model** (embedded llama.cpp, `pip install 'listenlab[llama]'`):
```bash
export LISTENLAB_SPEAKER=llama
export LISTENLAB_GGUF=/path/to/model.gguf
listenlab app
```
The same variables can live in a `.env` file. Store sessions in PostgreSQL with
`LISTENLAB_DB_URL=postgresql+psycopg://user@host/db`.
"""


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def speaker_text(settings: Settings, name: str) -> str:
    """What the active speaker is, in words (from the speaker actually running, not the wish)."""
    kind = name.split(":")[0]
    if kind == "openai":
        return f"`{name}` — an OpenAI-compatible server at {settings.openai_base_url or 'api.openai.com'}"
    if kind == "llama":
        return f"`{name}` — embedded llama.cpp ({settings.gguf_path or 'bundled SmolLM2'})"
    if kind == "scripted":
        return f"`{name}` — the persona's own lines, chosen by how well you listen; no model, no API key"
    return f"`{name}`"


def grader_text(name: str) -> str:
    """What the active feedback grader is, in words."""
    if name.startswith("llm:"):
        return (
            f"`{name}` — a language model with structured output; quick labels come from the offline grader"
        )
    if name.startswith("offline"):
        return f"`{name}` — the classifier shipped with listenlab, runs offline"
    return f"`{name}`"


def sidebar_setup(svc: AppServices) -> None:
    """The active speaker, grader and store, and how to switch them."""
    with st.sidebar:
        st.markdown("#### Setup")
        st.markdown(f"Speaker: {speaker_text(svc.settings, svc.speaker.name)}")
        st.markdown(f"Grader: {grader_text(svc.feedback_grader.name)}")
        st.caption(
            f"Sessions stored in `{make_url(svc.settings.db_url).render_as_string(hide_password=True)}`"
        )
        for problem in svc.problems:
            st.warning(problem)
        with st.expander("Switch to a model server or a local GGUF"):
            st.markdown(SWITCH_HELP)


def difficulty(level: int) -> str:
    return "●" * level + "○" * (3 - level)


def persona_card(entry: PersonaEntry, key: str) -> bool:
    """A persona to choose; True when its button was pressed."""
    persona = entry.persona
    with st.container(border=True):
        st.markdown(f"#### {persona.title}")
        st.caption(
            f"Difficulty {difficulty(persona.difficulty)}" + (" · yours" if entry.source == "yours" else "")
        )
        st.markdown(persona.situation)
        st.markdown(f"**Your goal:** {persona.learner_goal}")
        return st.button(f"Practise with {persona.title}", key=key, type="primary")


def label_badges(grade: TurnGrade) -> str:
    return " ".join(f":{FAMILY_COLOURS[family(label)]}-badge[{SHORT_NAMES[label]}]" for label in grade.labels)


def feedback_panel(
    grade: TurnGrade | None, openness: float | None, waiting: bool, show_openness: bool
) -> None:
    """A learner turn's feedback: labels in plain words, the score, and on demand why and a better reply."""
    with st.container(border=True):
        if grade is None or not grade.ok:
            st.warning(f"No feedback for this turn: {grade.error if grade else 'not graded yet'}")
            return
        score = f"**{grade.score:g}/5** " if grade.score is not None else ""
        lines = [f"{score}{label_badges(grade)}", *(f":gray[{PLAIN_WORDS[label]}]" for label in grade.labels)]
        if waiting:
            lines.append(":gray[*Fuller feedback is on its way…*]")
        st.markdown("  \n".join(lines))
        with st.expander("Why, and a better reply"):
            better = grade.suggestion or "Nothing to change here: this move helps them open up."
            why = grade.rationale or "No rationale given."
            st.markdown(f"{why}\n\n**Better:** {better}\n\n:gray[graded by `{grade.grader}`]")
        if show_openness and openness is not None:
            st.progress(openness, text=f"Their openness after this: {openness:.2f}")


def rq_text(metrics: SessionMetrics) -> str:
    """Reflections per question as 'r : 1' ('no questions' when there were only reflections)."""
    rq = metrics.reflection_to_question
    if rq is not None:
        return f"{rq:.1f} : 1"
    return "no questions" if metrics.reflections else "—"


def metrics_panel(metrics: SessionMetrics) -> None:
    """The session's headline numbers, with the MITI bands for reflections per question."""
    cols = st.columns(6)
    cols[0].metric(
        "R:Q ratio",
        rq_text(metrics),
        delta=BAND_TEXT[metrics.rq_band],
        delta_color={"good": "normal", "fair": "off", "below": "inverse"}.get(metrics.rq_band, "off"),
        delta_arrow="off",
        help="Reflections per question. MITI 4: fair at 1:1 or more, good at 2:1 or more.",
    )
    cols[1].metric(
        "Open questions", pct(metrics.open_question_share), help="Share of your questions that were open."
    )
    cols[2].metric(
        "Roadblock rate",
        pct(metrics.roadblock_rate),
        help="Turns that fixed, reassured, judged or self-focused.",
    )
    cols[3].metric("Mean score", "—" if metrics.mean_score is None else f"{metrics.mean_score:.1f} / 5")
    cols[4].metric(
        "Your share of words", pct(metrics.talk_balance), help="Listening usually means speaking less."
    )
    cols[5].metric("Breakthrough", f"turn {metrics.breakthrough_turn}" if metrics.breakthrough else "not yet")


def turn_chart(views: list[TurnView]) -> alt.LayerChart:
    """Openness and score per learner turn, on their own axes."""
    frame = pd.DataFrame(
        {
            "turn": [v.number for v in views],
            "openness": [v.openness_after for v in views],
            "score": [v.score for v in views],
        }
    )
    base = alt.Chart(frame).encode(x=alt.X("turn:O", title="Your turn", axis=alt.Axis(labelAngle=0)))
    openness = base.mark_line(point=True, color="#2e7d32").encode(
        y=alt.Y("openness:Q", scale=alt.Scale(domain=[0, 1]), title="Openness (green)")
    )
    score = base.mark_line(point=True, color="#1565c0", strokeDash=[4, 3]).encode(
        y=alt.Y("score:Q", scale=alt.Scale(domain=[1, 5]), title="Score (blue, dashed)")
    )
    return alt.layer(openness, score).resolve_scale(y="independent").properties(height=260)


def problems_table(problems: list[str]) -> None:
    """Persona problems as a table of file, line, field and reason."""
    rows = [split_problem(problem) for problem in problems]
    st.dataframe(
        pd.DataFrame(
            {
                "file": [r.file for r in rows],
                "line": [r.line for r in rows],
                "field": [r.field for r in rows],
                "reason": [r.reason for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )
