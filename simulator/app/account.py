"""Streamlit pieces about the user: who is logged in, logging out, deleting one's own data."""

import streamlit as st

from simulator.access import Actor
from simulator.app.auth import log_out
from simulator.app.services import AppServices
from simulator.privacy import delete_my_sessions

CONFIRM_DELETE = "Yes, delete every session of mine"


def account_sidebar(svc: AppServices, actor: Actor) -> None:
    """Who is logged in, and a way out (nothing to show for the one local learner)."""
    if svc.settings.auth == "none":
        return
    with st.sidebar:
        st.markdown(f"Logged in as **{actor.username}** ({actor.role.value})")
        if st.button("Log out", key="log-out"):
            log_out(svc)


def delete_my_data(svc: AppServices, actor: Actor) -> int | None:
    """Delete all of the actor's sessions once they confirm; how many went (None until confirmed)."""
    with st.expander("Delete all my data"):
        st.markdown(
            "This deletes every session of yours, free practice and assignments alike, with their turns, "
            "grades and facilitator notes. It cannot be undone."
        )
        sure = st.checkbox(CONFIRM_DELETE, key="confirm-delete")
        if st.button("Delete all my data", type="primary", disabled=not sure, key="delete-all"):
            removed = delete_my_sessions(svc.engine, actor)
            st.success(f"Deleted {removed} session(s).")
            return removed
    return None
