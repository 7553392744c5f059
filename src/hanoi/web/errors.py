"""Exceptions the web layer raises; `problems.py` turns each into an HTTP answer."""

from __future__ import annotations


class ApiError(Exception):
    """An API answer other than success, with its status and RFC 9457 title."""

    def __init__(self, status: int, title: str, detail: str | None = None) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail


class SignInRequired(Exception):
    """The page or endpoint needs a signed-in user."""


class Forbidden(Exception):
    """The signed-in user's role does not allow this."""


class CsrfFailed(Exception):
    """A form came back without the token this session issued."""
