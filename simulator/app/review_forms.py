"""Streamlit pieces of a facilitator's review: the notes beside a turn, a comment, a grade override."""

import streamlit as st

from simulator.access import AccessDenied, Actor
from simulator.accounts import actor_by_id
from simulator.app.services import AppServices
from simulator.grades import TurnGrade
from simulator.labels import SHORT_NAMES, Label
from simulator.reviews import ReviewError, TurnNote, add_comment, override_grade


def author_names(svc: AppServices, notes: dict[int, list[TurnNote]]) -> dict[str, str]:
    """User id -> user name of everyone who wrote a note."""
    ids = {note.author_id for turn in notes.values() for note in turn}
    actors = {user_id: actor_by_id(svc.engine, user_id) for user_id in ids}
    return {user_id: actor.username if actor else "a former user" for user_id, actor in actors.items()}


def show_notes(notes: list[TurnNote], names: dict[str, str]) -> None:
    """A turn's comments and overrides, oldest first."""
    for note in notes:
        what = "overrode the grade" if note.kind == "override" else "commented"
        st.markdown(f":violet[**{names.get(note.author_id, '?')}** {what}:] {note.text}")


def ai_label_note(ai: TurnGrade | None) -> str:
    """What the grader had said, shown beside an overridden turn."""
    if ai is None or not ai.ok or ai.primary is None:
        return "Reviewed by a facilitator."
    return f"Reviewed by a facilitator; the grader said {SHORT_NAMES[ai.primary]} ({ai.score:g}/5)."


def _store(action) -> None:
    try:
        action()
    except (AccessDenied, ReviewError) as exc:
        st.error(str(exc))
        return
    st.rerun()


def review_forms(svc: AppServices, actor: Actor, session_id: str, turn_index: int) -> None:
    """Comment on a learner turn, or override its grade (label, score, reason)."""
    key = f"{session_id}-{turn_index}"
    with st.expander("Review this turn"):
        with st.form(f"override-{key}"):
            label = st.selectbox("Label", list(Label), format_func=SHORT_NAMES.get, key=f"label-{key}")
            score = st.number_input("Score", min_value=1.0, max_value=5.0, value=3.0, step=0.5)
            reason = st.text_input("Reason", key=f"reason-{key}")
            if st.form_submit_button("Override grade"):
                _store(
                    lambda: override_grade(svc.engine, actor, session_id, turn_index, label, score, reason)
                )
        with st.form(f"comment-{key}"):
            text = st.text_area("Comment", key=f"comment-{key}")
            if st.form_submit_button("Add comment"):
                _store(lambda: add_comment(svc.engine, actor, session_id, turn_index, text))
