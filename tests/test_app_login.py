"""AppTest: logging in and out (local accounts, an identity provider) and what a logged-out visitor sees."""

import pytest

from simulator.accounts import create_user, find_user, set_role
from simulator.app.login_routes import LOGOUT_PATH, SESSION_PATH
from simulator.logins import WRONG_CREDENTIALS, actor_for_token, authenticate, redeem_ticket
from tests.fixtures_app import (
    COHORT,
    browser_of,
    button,
    login_token,
    new_app,
    page_as,
    redirect_target,
    ticket_in,
)

PASSWORD = "listen-carefully-1"


def submit_login(at, username: str, password: str):
    [field for field in at.text_input if field.label == "Username"][0].input(username)
    [field for field in at.text_input if field.label == "Password"][0].input(password)
    return button(at, "Log in").click().run()


def test_a_logged_out_visitor_gets_the_login_form_and_nothing_else(local_env):
    at = new_app().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [field.label for field in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.chat_input and not at.sidebar.markdown


def test_a_wrong_password_and_an_unknown_name_get_the_same_message(local_env, svc):
    create_user(svc.engine, "ana", password=PASSWORD)
    for name, password in (("ana", "not-her-password"), ("nobody", PASSWORD)):
        at = submit_login(new_app().run(), name, password)
        assert [e.value for e in at.error] == [WRONG_CREDENTIALS]
        assert redirect_target(at) is None


def test_a_right_password_sends_the_browser_to_trade_a_one_time_ticket(local_env, svc):
    user = create_user(svc.engine, "ana", password=PASSWORD)
    at = submit_login(new_app().run(), "ANA ", PASSWORD)
    target = redirect_target(at)
    assert target is not None and target.startswith(f"{SESSION_PATH}?ticket=")
    token = redeem_ticket(svc.engine, ticket_in(target))
    assert actor_for_token(svc.engine, token).id == user.id
    assert redeem_ticket(svc.engine, ticket_in(target)) is None


def test_a_held_login_opens_the_learners_home_and_log_out_revokes_it(local_env, svc):
    create_user(svc.engine, "ana", password=PASSWORD)
    token = login_token(svc.engine, authenticate(svc.engine, "ana", PASSWORD))
    at = browser_of(token).run()
    assert at.title[0].value == "Welcome, ana"
    assert "Logged in as **ana** (learner)" in [m.value for m in at.sidebar.markdown]
    button(at, "Log out").click().run()
    assert redirect_target(at) == LOGOUT_PATH
    assert actor_for_token(svc.engine, token) is None
    assert [field.label for field in browser_of(token).run().text_input] == ["Username", "Password"]


def test_learners_do_not_get_the_cohort_page_and_facilitators_do(local_env, svc):
    create_user(svc.engine, "ana", password=PASSWORD)
    token = login_token(svc.engine, authenticate(svc.engine, "ana", PASSWORD))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        page_as(token, COHORT)
    set_role(svc.engine, "ana", "facilitator")
    assert page_as(token, COHORT).title[0].value == "Cohorts"


GOOGLE = {
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
}
SECRETS = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32}}


def oidc_app(monkeypatch, user: dict, secrets: dict | None = None):
    monkeypatch.setenv("LISTENLAB_AUTH", "oidc")
    monkeypatch.setenv("LISTENLAB_OIDC_PROVIDER", "google")
    at = new_app()
    at.user = user
    at.secrets = secrets if secrets is not None else {"auth": {**SECRETS["auth"], "google": GOOGLE}}
    return at.run()


def test_with_an_identity_provider_the_login_page_offers_its_button(app_env, monkeypatch):
    at = oidc_app(monkeypatch, {"is_logged_in": False})
    assert not at.exception, [e.value for e in at.exception]
    assert [(b.label, b.disabled) for b in at.button] == [("Log in with google", False)]
    assert not at.text_input and not at.error


def test_a_provider_missing_from_the_secrets_is_named_instead_of_failing_on_click(app_env, monkeypatch):
    at = oidc_app(monkeypatch, {"is_logged_in": False}, secrets=SECRETS)
    assert "has no [auth.google]" in at.error[0].value
    assert [(b.label, b.disabled) for b in at.button] == [("Log in with google", True)]


def test_an_identity_provider_user_becomes_our_learner_and_keeps_the_role_we_give(app_env, svc, monkeypatch):
    user = {"is_logged_in": True, "sub": "google-123", "email": "Kim@Example.org", "name": "Kim"}
    at = oidc_app(monkeypatch, user)
    assert at.title[0].value == "Welcome, kim@example.org"
    account = find_user(svc.engine, "kim@example.org")
    assert (account.oidc_subject, account.role) == ("google-123", "learner")
    set_role(svc.engine, "kim@example.org", "facilitator")
    at = oidc_app(monkeypatch, {**user, "role": "admin"})  # a claim never grants a role
    assert "Logged in as **kim@example.org** (facilitator)" in [m.value for m in at.sidebar.markdown]


def test_a_login_asked_for_by_a_deep_link_goes_back_to_it(local_env, svc):
    create_user(svc.engine, "ana", password=PASSWORD)
    at = new_app()
    at.context["url"] = "http://127.0.0.1:8501/debrief?session=abc"
    at.query_params["session"] = "abc"
    target = redirect_target(submit_login(at.run(), "ana", PASSWORD))
    assert target.endswith("&next=%2Fdebrief%3Fsession%3Dabc")
