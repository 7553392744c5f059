"""Signed-in sessions and CSRF protection for the web pages.

The session lives in the database (``hanoi.accounts.sessions``): the signed cookie carries
only the session token and a CSRF token, so signing out really ends the session, even for
a copy of the cookie. Every form posts the CSRF token back; it is compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from hanoi.accounts import close_session, open_session, user_for_session
from hanoi.accounts.permissions import Permission, allowed
from hanoi.db import Database
from hanoi.errors import NotAllowed
from hanoi.web.errors import ApiError, CsrfFailed, SignInRequired

CSRF_FIELD = "csrf_token"

#: Bounds on a submitted form: no file uploads at all, and no part larger than a document.
MAX_FORM_FIELDS = 5000
MAX_FORM_PART = 1 << 20


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    expected = request.session.get("csrf")
    given = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(given, str):
        raise CsrfFailed
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token has been verified."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART)
    check_csrf(request, form)
    return form


def start_session(request: Request, db: Database, user: Any) -> None:
    """A fresh session on sign-in, so a token planted before sign-in is worthless."""
    with db.session() as session:
        token = open_session(session, user=user, remote_addr=_client(request))
    request.session.clear()
    request.session["sid"] = token
    request.session["csrf"] = secrets.token_urlsafe(32)


def end_session(request: Request, db: Database) -> None:
    token = request.session.get("sid")
    if isinstance(token, str):
        with db.session() as session:
            close_session(session, token, remote_addr=_client(request))
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
