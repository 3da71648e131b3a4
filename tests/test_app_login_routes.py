"""The login routes over HTTP: a ticket becomes an HttpOnly cookie once, redirects stay on this site,
logout clears the cookie and revokes its token."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from simulator.accounts import actor_of, create_user
from simulator.app.login_routes import COOKIE_NAME, login_routes, return_path, safe_next, session_url
from simulator.logins import actor_for_token, issue_ticket


@pytest.fixture
def routes(svc):
    """The routes on the test store, and the account a ticket logs in."""
    actor = actor_of(svc.engine, create_user(svc.engine, "ana", password="listen-well-1"))
    return Starlette(routes=login_routes(lambda: svc.engine)), actor


def trade(app, engine, actor, next_path: str, base: str = "http://testserver"):
    client = TestClient(app, base_url=base, follow_redirects=False)
    return client, client.get(session_url(issue_ticket(engine, actor), next_path))


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/home", "/home"),
        ("/join?code=ABC", "/join?code=ABC"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_paths_on_this_site_are_followed(target, kept):
    assert safe_next(target) == kept


def test_a_ticket_becomes_an_http_only_lax_cookie_and_a_see_other(routes, svc):
    app, actor = routes
    client, response = trade(app, svc.engine, actor, "/join?code=ABC")
    assert response.status_code == 303
    assert response.headers["location"] == "/join?code=ABC"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    assert actor_for_token(svc.engine, client.cookies[COOKIE_NAME]).id == actor.id


def test_over_https_the_cookie_is_secure(routes, svc):
    app, actor = routes
    _, response = trade(app, svc.engine, actor, "/", base="https://testserver")
    assert "Secure" in response.headers["set-cookie"]


def test_behind_a_proxy_with_an_https_public_address_the_cookie_is_secure(svc):
    actor = actor_of(svc.engine, create_user(svc.engine, "bea", password="listen-well-1"))
    app = Starlette(routes=login_routes(lambda: svc.engine, "https://listen.example.org"))
    _, response = trade(app, svc.engine, actor, "/")
    assert "Secure" in response.headers["set-cookie"]
    forwarded = TestClient(Starlette(routes=login_routes(lambda: svc.engine)), follow_redirects=False)
    response = forwarded.get(
        session_url(issue_ticket(svc.engine, actor), "/"), headers={"X-Forwarded-Proto": "https"}
    )
    assert "Secure" in response.headers["set-cookie"]


def test_another_site_as_next_goes_to_the_root(routes, svc):
    app, actor = routes
    _, response = trade(app, svc.engine, actor, "//evil.example/")
    assert response.headers["location"] == "/"


def test_a_used_or_unknown_ticket_sets_no_cookie(routes, svc):
    app, actor = routes
    ticket = issue_ticket(svc.engine, actor)
    client = TestClient(app, follow_redirects=False)
    assert client.get(f"/auth/session?ticket={ticket}").status_code == 303
    for used in (ticket, "made-up"):
        again = TestClient(app, follow_redirects=False).get(f"/auth/session?ticket={used}")
        assert again.headers["location"] == "/?login=expired"
        assert "set-cookie" not in again.headers


def test_logout_clears_the_cookie_and_revokes_its_token(routes, svc):
    app, actor = routes
    client, _ = trade(app, svc.engine, actor, "/")
    token = client.cookies[COOKIE_NAME]
    response = client.get("/auth/logout")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert (
        f'{COOKIE_NAME}=""' in response.headers["set-cookie"]
        and "Max-Age=0" in response.headers["set-cookie"]
    )
    assert actor_for_token(svc.engine, token) is None


@pytest.mark.parametrize(
    ("page_url", "query", "expected"),
    [
        ("http://host/debrief?session=abc", {"session": "abc"}, "/debrief?session=abc"),
        ("http://host/cohort", {}, "/cohort"),
        ("http://host/", {}, "/"),
        ("http://host/login", {"login": "expired"}, "/"),
        ("http://host/", {"next": "/join?code=ABC"}, "/join?code=ABC"),
        ("http://host/", {"next": "https://evil.example/"}, "/"),
        (None, {}, "/"),
    ],
)
def test_a_login_returns_to_the_page_that_asked_for_it(page_url, query, expected):
    assert return_path(page_url, query) == expected
