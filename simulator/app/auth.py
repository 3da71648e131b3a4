"""Who the browser is: the actor of each auth mode (none, login cookie, identity provider); log in and out."""

import json

import streamlit as st

from simulator.access import LOCAL_ACTOR, Actor
from simulator.accounts import actor_of, identity_user
from simulator.app.login_routes import COOKIE_NAME, LOGOUT_PATH, session_url
from simulator.app.services import AppServices
from simulator.logins import actor_for_token, authenticate, issue_ticket, revoke_token

# Session-state key a test sets in place of the cookie (AppTest cannot send cookies); a browser cannot
# write session state, so this opens nothing that the cookie does not.
TOKEN_KEY = "listenlab-token"


def browser_token() -> str | None:
    """The session token this browser holds: its login cookie (read when the page loaded)."""
    cookie = st.context.cookies.get(COOKIE_NAME)
    return cookie if isinstance(cookie, str) and cookie else st.session_state.get(TOKEN_KEY)


def identity_actor(svc: AppServices) -> Actor | None:
    """The identity provider's user (st.user) as our account, roles from our table; None when logged out."""
    if not st.user.is_logged_in:
        return None
    subject = st.user.get("sub") or st.user.get("email")
    if not subject:
        return None
    user = identity_user(svc.engine, str(subject), st.user.get("email"), st.user.get("name"))
    return actor_of(svc.engine, user)


def current_actor(svc: AppServices) -> Actor | None:
    """The acting user for this run (read afresh, so a new cohort or a revoked login shows at once);
    None when someone must log in first."""
    mode = svc.settings.auth
    if mode == "none":
        return LOCAL_ACTOR
    if mode == "oidc":
        return identity_actor(svc)
    return actor_for_token(svc.engine, browser_token())


def go_to(url: str) -> None:
    """Send the browser to another address of this site (a full page load, so cookies are re-read)."""
    st.html(f"<script>window.location.replace({json.dumps(url)})</script>", unsafe_allow_javascript=True)


def log_in(svc: AppServices, username: str, password: str, next_path: str = "/") -> None:
    """Check the name and password (LoginFailed when wrong), then trade a ticket for the login cookie."""
    actor = authenticate(svc.engine, username, password)
    start_browser_session(svc, actor, next_path)


def start_browser_session(svc: AppServices, actor: Actor, next_path: str = "/") -> None:
    """Give the browser a one-time ticket that the server trades for its login cookie."""
    go_to(session_url(issue_ticket(svc.engine, actor), next_path))


def log_out(svc: AppServices) -> None:
    """End this browser's login: the token stops working now, and the server clears the cookie."""
    if svc.settings.auth == "oidc":
        st.logout()
        return
    revoke_token(svc.engine, browser_token())
    st.session_state.pop(TOKEN_KEY, None)
    go_to(LOGOUT_PATH)


def provider_label(svc: AppServices) -> str:
    provider = svc.settings.oidc_provider
    return f"Log in with {provider}" if provider else "Log in"


def provider_problem(svc: AppServices) -> str | None:
    """Why the identity-provider login cannot work yet (no [auth] section in secrets.toml), else None."""
    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:
        auth = None
    provider = svc.settings.oidc_provider
    if auth is None:
        return (
            "Logins need an identity provider: add an [auth] section to .streamlit/secrets.toml (see README)."
        )
    if provider and provider not in auth:
        return (
            f"LISTENLAB_OIDC_PROVIDER is {provider!r}, but .streamlit/secrets.toml has no [auth.{provider}]."
        )
    return None


def log_in_with_provider(svc: AppServices) -> None:
    """Send the browser to the identity provider configured in secrets.toml ([auth] or [auth.NAME])."""
    if svc.settings.oidc_provider:
        st.login(svc.settings.oidc_provider)
    else:
        st.login()
