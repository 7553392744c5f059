"""Refusals at sign-in, each handled on its own by the sign-in page.

Administration (adding authorities and users) raises the decisions of :mod:`hanoi.errors`
directly: :class:`~hanoi.errors.InvalidInput`, :class:`~hanoi.errors.NotFound`,
:class:`~hanoi.errors.Conflict`, since nobody tells its failures apart but by their message.
Every message is one line fit to show a user as is, and none reveals whether a user exists
or repeats a password.
"""

from __future__ import annotations

from hanoi.errors import NotAuthentic, Unavailable


class SignInFailed(NotAuthentic):
    """Wrong username, password or code: the same answer for each."""

    def __init__(self) -> None:
        super().__init__("sign-in failed: wrong username, password or code")


class TotpRequired(NotAuthentic):
    """The password was right and the account needs its one-time code as well."""

    def __init__(self) -> None:
        super().__init__("enter the code from your authenticator app")


class SignInThrottled(Unavailable):
    """Too many failed sign-ins for this user name or address: wait before the next try."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds
