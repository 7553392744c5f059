"""What can go wrong with accounts, named for what went wrong.

Every message is one line fit to show a user as is. The web layer and the CLI map these
classes to responses in one place each; services never format user-facing text elsewhere.
"""

from __future__ import annotations


class AccountError(Exception):
    """Base for every error raised by :mod:`hanoi.accounts`."""


# Administration: adding authorities and users.


class InvalidAuthority(AccountError):
    """The authority's state, code, name or kind is malformed."""


class AuthorityExists(AccountError):
    def __init__(self, code: str) -> None:
        super().__init__(f"an authority with code {code!r} already exists")
        self.code = code


class UnknownAuthority(AccountError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no authority with code {code!r}")
        self.code = code


class UnknownRole(AccountError):
    def __init__(self, role: str, known: list[str]) -> None:
        super().__init__(f"unknown role {role!r}; expected one of: {', '.join(known)}")
        self.role = role


class UnknownUser(AccountError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no user named {username!r}")
        self.username = username


class UserExists(AccountError):
    def __init__(self, username: str) -> None:
        super().__init__(f"a user named {username!r} already exists")
        self.username = username


class InvalidUsername(AccountError):
    def __init__(self, username: str) -> None:
        super().__init__(f"invalid username {username!r}: use 2 to 64 of a-z, 0-9, '.', '_' or '-'")
        self.username = username


class WeakPassword(AccountError):
    """The password is too short; the message never repeats the password."""


# Signing in. Messages must not reveal whether the user exists.


class SignInError(AccountError):
    """Base for refusals at sign-in."""


class SignInFailed(SignInError):
    def __init__(self) -> None:
        super().__init__("sign-in failed: wrong username, password or code")


class TotpRequired(SignInError):
    """The password was right and the account needs its one-time code as well."""

    def __init__(self) -> None:
        super().__init__("enter the code from your authenticator app")


class SignInThrottled(SignInError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds
