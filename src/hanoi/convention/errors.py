"""Errors raised by ``hanoi.convention``.

The convention package is pure data plus validation, so only two things can go wrong: the
bundled data files are malformed (a packaging or editing mistake a legal reviewer must be told
about precisely), or a caller asks for something the Convention does not define.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from hanoi.errors import NotFound, SetupError


class ConventionDataError(SetupError):
    """A data file is missing, unreadable or inconsistent.

    ``file`` is the file name (not a full path, so messages stay stable across machines) and
    ``problem`` says what is wrong in one line.
    """

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


EntryCheck = Literal["instrument", "element", "article", "offence", "category", "rule", "ground"]


class UnknownEntryError(NotFound):
    """Something was looked up by a key the Convention data does not contain; ``check``
    names what: an instrument (request kind), one of its elements, an article number
    outside 1..68, an offence code, a data category, a rule or a ground."""

    def __init__(self, message: str, *, check: EntryCheck) -> None:
        super().__init__(message)
        self.check = check


class UnknownInstrumentError(UnknownEntryError):
    """A request kind that is not one of the instruments we model."""

    def __init__(self, kind: object, valid: Iterable[str]) -> None:
        self.kind = kind
        self.valid = tuple(valid)
        super().__init__(
            f"unknown instrument {kind!r}; valid kinds: {', '.join(self.valid)}",
            check="instrument",
        )
