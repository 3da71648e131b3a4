"""Personas: browse every persona, edit or upload persona YAML with problems shown inline."""

import streamlit as st

from simulator.app.catalog import PersonaEntry
from simulator.app.state import PRACTICE_PAGE, services, ui_state
from simulator.app.widgets import difficulty, problems_table
from simulator.personas import Persona, PersonaError

NEW = "(a new persona, starting from a copy of the first)"


def practise_link(persona: Persona) -> None:
    """A link that opens the practice page with this persona."""
    st.page_link(
        PRACTICE_PAGE,
        label=f"Practise with {persona.title}",
        icon=":material/forum:",
        query_params={"persona": persona.id},
    )


def browse(entries: list[PersonaEntry]) -> None:
    for entry in entries:
        persona = entry.persona
        source = "yours" if entry.source == "yours" else "shipped"
        with st.expander(f"{persona.title} · {difficulty(persona.difficulty)} · {source}"):
            st.markdown(persona.situation)
            st.markdown(f"**Your goal:** {persona.learner_goal}")
            st.caption(f"id `{persona.id}` · {len(persona.layers)} disclosure layers · file `{entry.path}`")
            practise_link(persona)


def save(content: str | bytes, source: str) -> None:
    """Validate and save; show what was wrong, per file, line and field, when it cannot be used."""
    try:
        persona = services().catalog.save(content, source)
    except PersonaError as exc:
        st.error(f"{len(exc.problems)} problem(s) in {source}: nothing was saved.")
        problems_table(exc.problems)
        return
    st.success(f"Saved “{persona.title}” ({persona.id}). It is ready to practise with now.")
    practise_link(persona)


def editor(entries: list[PersonaEntry]) -> None:
    ids = [entry.persona.id for entry in entries]
    chosen = st.selectbox("Persona to edit", ids + [NEW])
    catalog = services().catalog
    text = catalog.text_of(chosen if chosen != NEW else ids[0]) if ids else ""
    edited = st.text_area("Persona YAML", value=text, height=420, key=f"yaml-{chosen}")
    st.caption(
        "Saving writes your own copy (a shipped persona is never overwritten); it wins over the shipped one."
    )
    if st.button("Validate and save", key="save-edited"):
        save(edited, f"{chosen}.yaml" if chosen != NEW else "new persona")


def uploader() -> None:
    upload = st.file_uploader("A persona YAML file", type=["yaml", "yml"])
    if st.button("Validate and save", key="save-upload", disabled=upload is None):
        save(upload.getvalue(), upload.name)


ui_state()
st.title("Personas")
catalog = services().catalog.load()
if catalog.problems:
    st.warning("Some persona files could not be used:")
    problems_table(catalog.problems)
entries = sorted(catalog.entries.values(), key=lambda e: (e.persona.difficulty, e.persona.title))
browse_tab, edit_tab, upload_tab = st.tabs(["Browse", "Edit", "Upload"])
with browse_tab:
    browse(entries)
with edit_tab:
    editor(entries)
with upload_tab:
    uploader()
