"""Log in: a name and password (local accounts), or the team's identity provider (oidc)."""

import streamlit as st

from simulator.app.auth import log_in, log_in_with_provider, provider_label, provider_problem
from simulator.app.login_routes import EXPIRED_TICKET, return_path
from simulator.app.state import services
from simulator.logins import LoginFailed


def password_form(next_path: str) -> None:
    with st.form("login"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Log in", type="primary"):
            try:
                log_in(services(), username, password, next_path)
                st.success("Logged in: opening the app…")
            except LoginFailed as exc:
                st.error(str(exc))


def provider_button() -> None:
    problem = provider_problem(services())
    if problem:
        st.error(problem)
    if st.button(provider_label(services()), type="primary", disabled=problem is not None):
        log_in_with_provider(services())


st.title("listenlab")
st.markdown("Practise active listening with simulated people, and get feedback on every turn.")
if st.query_params.get("login") == EXPIRED_TICKET:
    st.warning("That login link was already used or has expired: log in again.")
if services().settings.auth == "oidc":
    provider_button()
else:
    password_form(return_path(st.context.url, st.query_params.to_dict()))
    st.caption("New here? Open the join link your facilitator sent you to create your account.")
