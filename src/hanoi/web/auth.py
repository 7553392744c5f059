"""Signed-in sessions and CSRF protection for the web pages.

The session cookie (signed, HttpOnly, SameSite=Strict, Secure beyond loopback) carries only
the user id, the sign-in time and a CSRF token; every form posts that token back and it is
compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from hanoi.accounts import get_user
from hanoi.accounts.permissions import Permission, allowed

SESSION_MAX_AGE = 8 * 3600
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler redirects to the sign-in page."""


class Forbidden(Exception):
    """The signed-in user's role does not allow this."""


class CsrfFailed(Exception):
    """A form came back without the token this session issued."""


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
    form = await request.form()
    check_csrf(request, form)
    return form


def start_session(request: Request, user_id: str) -> None:
    """A fresh session on sign-in, so a token planted before sign-in is worthless."""
    request.session.clear()
    request.session["uid"] = user_id
    request.session["at"] = int(time.time())
    request.session["csrf"] = secrets.token_urlsafe(32)


def end_session(request: Request) -> None:
    request.session.clear()


def current_user(request: Request) -> Any | None:
    uid = request.session.get("uid")
    at = request.session.get("at")
    if not isinstance(uid, str) or not isinstance(at, int):
        return None
    if time.time() - at > SESSION_MAX_AGE:
        request.session.clear()
        return None
    with request.app.state.db.session() as session:
        user = get_user(session, uid)
    if user is None or user.disabled:
        request.session.clear()
        return None
    return user


def require_user(request: Request) -> Any:
    user = current_user(request)
    if user is None:
        raise SignInRequired
    return user


def require_permission(request: Request, permission: Permission) -> Any:
    user = require_user(request)
    if not allowed(user.role, permission):
        raise Forbidden
    return user
