"""A form whose session ended while the officer typed comes back with what was typed.

A session may end while a form is open: it expired, an administrator revoked it, or the
cookie went with a browser restart. A POST that then arrives is not acted on, and the text
in it is never dropped either. :func:`decide` says what becomes of such a POST:

- the CSRF token matches and the session lives: go on, the handler acts as always;
- the token matches, the session is gone and the form carries ``username``/``password``:
  sign in (a fresh session), then go on in the same step;
- the session is gone (or the sign-in failed), and the POST comes from our own page (its
  token matches, or the browser says it is same-origin): show the form back, filled in,
  with a sign-in box inside it, 401 (429 while sign-in is throttled);
- the session lives but the token is stale (signed out and in elsewhere): show the form
  back with a fresh token, 403, not done;
- anything else (a cross-site page): refused as every CSRF failure is, and audited; none
  of its text is echoed into a form of ours.

Nothing is kept on the server: the text goes back in the answer to the browser that sent it,
never into a URL, the session or a log. Nothing is done without a matching token and a live
session. The draft form shows itself back (web/pages/drafts.py); every other officer form
uses :func:`resume`, which answers with ``session_ended.html``: the posted fields again
(those the handler names as typed text editable under their labels, the others hidden) and
the sign-in fields, posting to the same URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from hanoi.accounts.permissions import Permission
from hanoi.config import Settings
from hanoi.db import Database
from hanoi.web import auth
from hanoi.web.errors import CsrfFailed, SignInRequired
from hanoi.web.i18n import N_, Wording
from hanoi.web.problems import record_refused
from hanoi.web.templating import page

#: Fields never sent back into a page: the token is issued afresh, credentials are retyped.
NOT_ECHOED = frozenset({auth.CSRF_FIELD, "username", "password", "totp_code"})
#: A user name echoed into the sign-in box is cut to this many characters.
MAX_USERNAME_ECHO = 200

ENDED = N_("Not done: your session ended. What you typed is below; sign in to finish.")
STALE = N_("Not done: this form was older than your session. Check it and send it again.")


@dataclass(frozen=True)
class SignInBox:
    """The sign-in box a form is shown back with when its session ended."""

    error: str | Wording | None = None
    ask_totp: bool = False
    username: str = ""


@dataclass(frozen=True)
class Resumption:
    """What becomes of a POST (see the module's docstring)."""

    user: Any | None
    """The user to act as (``shown_back`` False), or whose stale form is shown back."""
    shown_back: bool = False
    """Not done: the form goes back to its sender with what was typed."""
    sign_in: SignInBox | None = None
    """The box to sign in with, when the session ended; None for a stale token."""
    status: int = 200
    retry_after: int | None = None


def decide(
    request: Request,
    db: Database,
    settings: Settings,
    form: FormData,
    *,
    showable: bool = True,
) -> Resumption:
    """Go on, or show the form back; raises :class:`CsrfFailed` (or ``SignInRequired``) for
    a POST that may not be shown back: not from our page, or ``showable`` False (a form the
    handler cannot draw, such as a draft of an unknown kind)."""
    csrf_ok = auth.csrf_matches(request, form)  # before current_user, which may clear it
    user = auth.current_user(request, db)
    box: SignInBox | None = None
    status, retry_after = 401, None
    if csrf_ok and user is None and "username" in form:
        outcome = auth.sign_in_from_form(request, db, settings, form)
        user = outcome.user
        if user is None:
            username = str(form.get("username") or "").strip()[:MAX_USERNAME_ECHO]
            box = SignInBox(outcome.error, outcome.ask_totp, username)
            status, retry_after = outcome.status, outcome.retry_after
    if csrf_ok and user is not None:
        return Resumption(user)
    if not showable or not (csrf_ok or auth.same_origin(request)):
        if not csrf_ok:
            raise CsrfFailed
        raise SignInRequired
    if not csrf_ok:  # shown back, and still a refusal on the record as every CSRF failure is
        record_refused(request, "csrf")
    if user is not None:
        return Resumption(user, shown_back=True, status=403)
    return Resumption(None, True, box or SignInBox(), status, retry_after)


@dataclass(frozen=True)
class Typed:
    """A posted field the officer typed or chose, shown to be read and changed."""

    name: str
    label: str
    """A message id (marked with ``N_``): the page translates it."""
    widget: Literal["textarea", "text", "checkbox"] = "textarea"


@dataclass(frozen=True)
class ShownField:
    """One posted field as the page draws it: under its label, or hidden."""

    name: str
    value: str
    label: str | None = None
    widget: str = "hidden"


def _shown(form: FormData, typed: Sequence[Typed]) -> list[ShownField]:
    """Every posted field but the token and the credentials, in the order posted; the typed
    ones under their labels (a typed field not posted is shown empty, a checkbox unticked)."""
    labelled = {t.name: t for t in typed}
    fields: list[ShownField] = []
    for name, value in form.multi_items():
        if name in NOT_ECHOED or not isinstance(value, str):
            continue
        spec = labelled.pop(name, None)
        if spec is None:
            fields.append(ShownField(name, value))
        else:
            fields.append(ShownField(name, value, spec.label, spec.widget))
    for spec in labelled.values():
        fields.append(ShownField(spec.name, "", spec.label, spec.widget))
    return fields


def resume(
    request: Request,
    db: Database,
    settings: Settings,
    form: FormData,
    *,
    what: str | Wording,
    typed: Sequence[Typed] = (),
    permission: Permission | None = None,
) -> Response | None:
    """None when the handler may go on (it checks permission and the rest as always); else
    the page that shows the form back (``what`` says what it was doing, e.g. "Refuse request
    XB-2026-000001": a message id or ``wording``, translated by the page). A stale form is
    shown only to a user the ``permission`` allows."""
    outcome = decide(request, db, settings, form)
    if not outcome.shown_back:
        return None
    user = outcome.user
    if user is not None and permission is not None:
        user = auth.require_permission(request, db, permission)
    response = page(
        request,
        "session_ended.html",
        {
            "user": user,
            "what": what,
            "action": quote(request.url.path),  # the same URL, posted to again
            "message": ENDED if outcome.sign_in is not None else STALE,
            "fields": _shown(form, typed),
            "sign_in": outcome.sign_in,
        },
        status_code=outcome.status,
    )
    if outcome.retry_after is not None:
        response.headers["Retry-After"] = str(outcome.retry_after)
    return response
