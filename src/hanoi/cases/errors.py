"""Errors raised by ``hanoi.cases``.

The CLI and the API each map these to the user in one place, so every message is a single
line a person can act on, and the details stay available as attributes.
"""

from __future__ import annotations

from collections.abc import Iterable

from hanoi.errors import HanoiError, InvalidInput, NotAllowed, NotFound


class CasesError(HanoiError):
    """Base class for errors raised by ``hanoi.cases``."""


class DocumentError(CasesError, InvalidInput):
    """A request document could not be read or does not have the right shape.

    ``str()`` is one line: the first issue, plus how many more there are. ``issues`` holds
    every ``(path, message)`` pair so a form can show each next to its field; ``path`` is
    dotted (``data_items.0.category``) and empty for the whole document.
    """

    def __init__(self, message: str, issues: Iterable[tuple[str, str]] = ()) -> None:
        self.issues: tuple[tuple[str, str], ...] = tuple(issues) or (("", message),)
        super().__init__(message)


class RequestError(CasesError, InvalidInput):
    """A request that cannot be sent as asked: what it follows or forwards does not fit,
    or no authority of the requested State takes its kind."""


class UnknownAuthority(RequestError):
    """The authority a request is addressed to is not one the requested State's directory
    entry lists; ``known`` holds the codes it does list."""

    title = "Unknown authority"

    def __init__(self, authority: str, state: str, known: Iterable[str]) -> None:
        self.authority = authority
        self.state = state
        self.known = tuple(known)
        listed = ", ".join(self.known) or "none"
        super().__init__(
            f"{authority} is not an authority of {state} in the directory; "
            f"{state}'s authorities: {listed}"
        )


class RequestNotFound(CasesError, NotFound):
    """No such request, or none visible to this user (the same answer)."""

    title = "No such request"

    def __init__(self, reference: str) -> None:
        super().__init__(f"no request {reference!r} is visible to you")
        self.reference = reference


class RequestForbidden(CasesError, NotAllowed):
    """The user's role does not allow this."""


class RequestNotReady(CasesError, InvalidInput):
    """The document does not pass the Convention check, so it cannot be sent."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"the request does not pass the check ({len(problems)} error(s)): {problems[0]}"
        )
        self.problems = problems
