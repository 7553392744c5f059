"""Errors raised by ``hanoi.convention``.

The convention package is pure data plus validation, so only two things can go wrong: the
bundled data files are malformed (a packaging or editing mistake a legal reviewer must be told
about precisely), or a caller asks for something the Convention does not define.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConventionError(Exception):
    """Base class for every error raised by ``hanoi.convention``."""


class ConventionDataError(ConventionError):
    """A data file is missing, unreadable or inconsistent.

    ``file`` is the file name (not a full path, so messages stay stable across machines) and
    ``problem`` says what is wrong in one line.
    """

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class UnknownEntryError(ConventionError, LookupError):
    """Something was looked up by a key the Convention data does not contain."""

    def __str__(self) -> str:
        # LookupError would otherwise quote the message like a dict key.
        return str(self.args[0]) if self.args else ""


class UnknownInstrumentError(UnknownEntryError):
    """A request kind that is not one of the instruments we model."""

    def __init__(self, kind: object, valid: Iterable[str]) -> None:
        self.kind = kind
        self.valid = tuple(valid)
        super().__init__(f"unknown instrument {kind!r}; valid kinds: {', '.join(self.valid)}")


class UnknownArticleError(UnknownEntryError):
    """An article number outside 1..68."""


class UnknownOffenceError(UnknownEntryError):
    """An offence code that is not in the offence code list."""
