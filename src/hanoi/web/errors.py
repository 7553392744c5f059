"""Exceptions the web layer raises; `problems.py` turns each into an HTTP answer.

A route refuses with the decisions of :mod:`hanoi.errors` (``NotAllowed`` for a role that
may not do this); the classes here are the web's own decisions.
"""

from __future__ import annotations

from hanoi.errors import HanoiError, NotAllowed


class ApiError(HanoiError):
    """An API answer other than success that a route spells out itself, with its status and
    RFC 9457 title (for answers no decision of ours gives, such as an API body too large
    for a document)."""

    def __init__(self, status: int, title: str, detail: str | None = None) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title  # this answer's own, not its class's
        self.detail = detail


class SignInRequired(HanoiError):
    """The page or endpoint needs a signed-in user."""

    title = "Sign-in required"


class TokenRequired(SignInRequired):
    """An API call without a live API token (missing, unknown, revoked or expired)."""

    title = "API token required"


class CsrfFailed(NotAllowed):
    """A form came back without the token this session issued."""

    title = "Form expired"
