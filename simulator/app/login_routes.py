"""The HTTP side of logging in: trade a one-time ticket for the login cookie, and clear it on logout."""

from collections.abc import Callable
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from simulator.logins import SESSION_LIFETIME, redeem_ticket, revoke_token

COOKIE_NAME = "listenlab_session"
SESSION_PATH, LOGOUT_PATH = "/auth/session", "/auth/logout"
EXPIRED_TICKET = "expired"  # ?login=expired on the login page: the link was used or too old


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site ("/home?x=1"), else "/": never another site (no open
    redirect through "//host", "/\\host", a scheme or control characters)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(char) < 32 or char == "\\" for char in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def return_path(page_url: str | None, query: dict[str, str]) -> str:
    """Where a login goes on to: `next` when the link named one, else the page the visitor opened
    (a link to /debrief?session=ID comes back there after the login), else the root."""
    if query.get("next"):
        return safe_next(query["next"])
    path = urlsplit(page_url or "").path
    if path in ("", "/", "/login"):
        return "/"
    rest = urlencode({key: value for key, value in query.items() if key != "login"})
    return safe_next(f"{path}?{rest}" if rest else path)


def session_url(ticket: str, next_path: str) -> str:
    """Where the browser trades its ticket for the cookie, then goes on to `next_path`."""
    return f"{SESSION_PATH}?ticket={quote(ticket, safe='')}&next={quote(safe_next(next_path), safe='')}"


def served_over_https(request: Request, public_url: str | None = None) -> bool:
    """Whether the browser reaches us over https: directly, through a proxy that says so, or at a public
    address (LISTENLAB_BASE_URL) that is https."""
    forwarded = request.headers.get("x-forwarded-proto", "") == "https"
    return request.url.scheme == "https" or forwarded or (public_url or "").startswith("https://")


def _start_session(
    engine: Callable[[], Engine], request: Request, public_url: str | None
) -> RedirectResponse:
    token = redeem_ticket(engine(), request.query_params.get("ticket", ""))
    if token is None:
        return RedirectResponse(f"/?login={EXPIRED_TICKET}", status_code=303)
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=served_over_https(request, public_url),
    )
    return response


def _end_session(engine: Callable[[], Engine], request: Request, public_url: str | None) -> RedirectResponse:
    revoke_token(engine(), request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=served_over_https(request, public_url)
    )
    return response


def login_routes(engine: Callable[[], Engine], public_url: str | None = None) -> list[Route]:
    """The two routes beside the app; `engine` gives the store (opened on first use), `public_url` is
    the address people use (LISTENLAB_BASE_URL), when set."""
    return [
        Route(SESSION_PATH, lambda request: _start_session(engine, request, public_url), methods=["GET"]),
        Route(LOGOUT_PATH, lambda request: _end_session(engine, request, public_url), methods=["GET"]),
    ]
