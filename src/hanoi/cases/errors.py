"""Errors raised by ``hanoi.cases``.

The CLI and the API each map these to the user in one place, so every message is a single
line a person can act on, and the details stay available as attributes.
"""

from __future__ import annotations

from collections.abc import Iterable

from hanoi.errors import HanoiError, InvalidInput


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
