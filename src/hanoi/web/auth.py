"""Signed-in sessions and CSRF protection for the web pages.

The session lives in the database (``hanoi.accounts.sessions``): the signed cookie carries
only the session token and a CSRF token, so signing out really ends the session, even for
a copy of the cookie. Every form posts the CSRF token back; it is compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from hanoi.accounts.errors import SignInFailed, SignInThrottled, TotpRequired
from hanoi.accounts.permissions import Permission, allowed
from hanoi.accounts.service import authenticate
from hanoi.accounts.sessions import close_session, open_session, user_for_session
from hanoi.config import Settings
from hanoi.db import Database
from hanoi.errors import NotAllowed
from hanoi.web.deps import client_address
from hanoi.web.errors import ApiError, CsrfFailed, SignInRequired
from hanoi.web.i18n import N_, Wording, wording

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

#: Bounds on a submitted form: no file uploads at all, and no part larger than a document.
MAX_FORM_FIELDS = 5000
MAX_FORM_PART = 1 << 20


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def form_text(form: FormData, name: str) -> str:
    """A text field of a submitted form as typed, or "" (absent, or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def check_csrf(request: Request, form: FormData) -> None:
    _compare_csrf(request, form.get(CSRF_FIELD))


def check_csrf_header(request: Request) -> None:
    """The CSRF token of a page script's request whose body is no form (a piece of an
    upload): sent in the ``X-CSRF-Token`` header."""
    _compare_csrf(request, request.headers.get(CSRF_HEADER))


def _compare_csrf(request: Request, given: object) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str):
        raise CsrfFailed
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed


async def read_form(request: Request) -> FormData:
    """The submitted form, bounded, its CSRF token NOT yet verified: for handlers that give
    the text back (never act on it) when the token fails; see :func:`csrf_matches`."""
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token has been verified."""
    form = await read_form(request)
    check_csrf(request, form)
    return form


def csrf_matches(request: Request, form: FormData) -> bool:
    try:
        check_csrf(request, form)
    except CsrfFailed:
        return False
    return True


def same_origin(request: Request) -> bool:
    """Whether the browser says this POST comes from one of our own pages.

    Fetch metadata (``Sec-Fetch-Site``) where the browser sends it, else the ``Origin``
    header's host against ``Host``. Neither header: not known to be ours. Used only to decide
    whether a refused form may be shown back to its sender with what was typed in it: a
    cross-site page must not get a form of ours pre-filled with its text.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host or origin == "null":
        return False
    return origin.partition("://")[2] == host


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt came to: the user (a fresh session started), or why not."""

    user: Any | None
    error: str | Wording | None = None
    """Why not, as the page says it (``| t``)."""
    ask_totp: bool = False
    status: int = 200
    """The HTTP status a page answers a refusal with (401, or 429 while throttled)."""
    retry_after: int | None = None


def sign_in_from_form(
    request: Request, db: Database, settings: Settings, form: FormData
) -> SignInOutcome:
    """Sign in with the ``username``/``password``/``totp_code`` fields of a form whose CSRF
    token has been checked: the sign-in page's, or a draft form re-shown after its session
    ended. Throttling and audit are ``authenticate``'s."""
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    totp_code = str(form.get("totp_code") or "").strip() or None
    try:
        with db.session() as session:
            user = authenticate(
                session,
                username=username,
                password=password,
                totp_code=totp_code,
                remote_addr=client_address(request),
                audit_key=settings.audit_key(),
                refusal_interval=settings.audit_refusal_interval,
            )
    except TotpRequired:
        return SignInOutcome(None, N_("Enter the code from your authenticator app."), True, 401)
    except SignInThrottled as exc:
        wait = int(exc.retry_after_seconds) + 1
        throttled = wording(
            "Too many failed attempts. Try again in %(seconds)s seconds.", seconds=wait
        )
        return SignInOutcome(None, throttled, status=429, retry_after=wait)
    except SignInFailed:
        message = N_("Wrong user name, password or code.")
        return SignInOutcome(None, message, totp_code is not None, 401)
    start_session(request, db, user)
    return SignInOutcome(user)


def start_session(request: Request, db: Database, user: Any) -> None:
    """A fresh session on sign-in, so a token planted before sign-in is worthless."""
    with db.session() as session:
        token = open_session(session, user=user, remote_addr=client_address(request))
    request.session.clear()
    request.session["sid"] = token
    request.session["csrf"] = secrets.token_urlsafe(32)


def end_session(request: Request, db: Database) -> None:
    token = request.session.get("sid")
    if isinstance(token, str):
        with db.session() as session:
            close_session(session, token, remote_addr=client_address(request))
    request.session.clear()


def current_user(request: Request, db: Database) -> Any | None:
    """The user of a live session (not revoked, not expired, not disabled), or None."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    with db.session() as session:
        user = user_for_session(session, token)
    if user is None:
        request.session.clear()
    return user


def require_user(request: Request, db: Database) -> Any:
    user = current_user(request, db)
    if user is None:
        raise SignInRequired
    return user


def require_permission(request: Request, db: Database, permission: Permission) -> Any:
    user = require_user(request, db)
    if not allowed(user.role, permission):
        raise NotAllowed("the user's role does not allow this")
    return user


def require_api_user(request: Request, db: Database) -> Any:
    """The signed-in drafter behind an API call; a 401 or 403 problem otherwise."""
    user = current_user(request, db)
    if user is None:
        raise ApiError(401, "Sign-in required", "sign in to this node first")
    if not allowed(user.role, Permission.DRAFT_REQUESTS):
        raise ApiError(403, "Not allowed", "your role does not draft requests")
    return user
