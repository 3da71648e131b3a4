"""Join a cohort by its link (/join?code=CODE): a new learner creates an account and joins in one step."""

from urllib.parse import quote

import streamlit as st

from simulator.accounts import AccountError
from simulator.app.auth import log_in_with_provider, provider_label, start_browser_session
from simulator.app.state import HOME_PAGE, services, ui_state
from simulator.cohorts import CohortError, join_cohort, join_with_new_account
from simulator.store.models import CohortRow


def new_account_form(code: str) -> None:
    st.markdown("Create your account to join. You will use this name and password to log in.")
    with st.form("join"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password", help="At least 8 characters.")
        if st.form_submit_button("Create account and join", type="primary"):
            try:
                actor, cohort = join_with_new_account(services().engine, code, username, password)
            except (AccountError, CohortError) as exc:
                st.error(str(exc))
                return
            st.success(f"Welcome, {actor.username}: you joined {cohort.name}. Opening your assignments…")
            start_browser_session(services(), actor, "/")
    login = f"/?next={quote(f'/join?code={code}', safe='')}"
    st.caption(f"Already have an account? [Log in]({login}), then open this link again.")


def join_button(code: str, cohort: CohortRow) -> None:
    if st.button(f"Join {cohort.name}", type="primary"):
        try:
            join_cohort(services().engine, ui_state().actor, code)
        except CohortError as exc:
            st.info(str(exc))
            return
        st.success(f"You joined {cohort.name}: its assignments are on your home page.")
        st.page_link(HOME_PAGE, label="Your assignments", icon=":material/assignment:")


def join(code: str) -> None:
    try:
        cohort = services().cohort_for_code(code)
    except CohortError as exc:
        st.error(str(exc))
        return
    st.subheader(cohort.name)
    st.markdown(
        "Your facilitators will see the sessions you practise for this cohort's assignments. "
        "Free practice stays private to you."
    )
    if ui_state().actor is not None:
        join_button(code, cohort)
    elif services().settings.auth == "oidc":
        st.markdown("Log in first, then open this link again to join.")
        if st.button(provider_label(services()), type="primary"):
            log_in_with_provider(services())
    else:
        new_account_form(code)


st.title("Join a cohort")
code = st.query_params.get("code", "").strip()
if services().settings.auth == "none":
    st.info(
        "This app runs for one local learner without accounts, so it has no cohorts. Cohorts need a "
        "server started with LISTENLAB_AUTH=local or LISTENLAB_AUTH=oidc."
    )
elif not code:
    st.info("Open the join link your facilitator sent you: it ends in /join?code=… .")
else:
    join(code)
