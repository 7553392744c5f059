"""A database that cannot serve right now, told apart from a bug.

SQLAlchemy raises :class:`~sqlalchemy.exc.OperationalError` for anything the driver calls
operational: a locked SQLite file as much as a misspelt table. :func:`unavailable` picks out
the failures that pass by themselves — the database is locked or busy, full, or down — and
names them as :class:`DatabaseUnavailable` (an :class:`~hanoi.errors.Unavailable`: try
again later); everything else stays what it is, a bug or a setup fault.

- SQLite: the result code (``SQLITE_BUSY`` 5, ``SQLITE_LOCKED`` 6: "locked";
  ``SQLITE_FULL`` 13: "full"), read from the exception where the driver gives it, else from
  its fixed message ("database is locked", "database or disk is full").
- PostgreSQL: the SQLSTATE. Lock and transaction conflicts (``55P03`` lock not available,
  ``40P01`` deadlock, ``40001`` serialisation failure, ``57014`` a statement timed out):
  "locked"; insufficient resources (class ``53``: disk full, out of memory, too many
  connections): "full"; the server going or gone (``57P01``-``57P03``, class ``08``, or a
  connection SQLAlchemy found invalidated, or psycopg's failure with no SQLSTATE at all,
  which is its way of saying it could not connect or lost the server): "down".

The message is fixed per check: the driver's text may name tables, files or hosts.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.exc import OperationalError

from hanoi.errors import Unavailable

Check = Literal["locked", "full", "down"]

_SQLITE_CODES: dict[int, Check] = {5: "locked", 6: "locked", 13: "full"}
_SQLITE_MESSAGES: tuple[tuple[str, Check], ...] = (
    ("database is locked", "locked"),
    ("database table is locked", "locked"),
    ("database schema is locked", "locked"),
    ("database or disk is full", "full"),
)
_PG_STATES: dict[str, Check] = {
    "55P03": "locked",
    "40P01": "locked",
    "40001": "locked",
    "57014": "locked",
    "57P01": "down",
    "57P02": "down",
    "57P03": "down",
}
_PG_CLASSES: dict[str, Check] = {"53": "full", "08": "down"}
_MESSAGES: dict[Check, str] = {
    "locked": "the database is busy with other work: try again shortly",
    "full": "the database has run out of room or resources: try again later",
    "down": "the database cannot be reached: try again later",
}


class DatabaseUnavailable(Unavailable):
    """The database cannot serve now; ``check`` says why ("locked", "full", "down")."""

    title = "Database unavailable"

    def __init__(self, check: Check) -> None:
        super().__init__(_MESSAGES[check])
        self.check: Check = check


def unavailable(exc: OperationalError) -> DatabaseUnavailable | None:
    """``exc`` as a :class:`DatabaseUnavailable` if it passes by itself; None otherwise."""
    check = _check(exc)
    return DatabaseUnavailable(check) if check is not None else None


def _check(exc: OperationalError) -> Check | None:
    original = exc.orig
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE_CODES:
        return _SQLITE_CODES[code & 0xFF]  # extended codes keep the primary in the low byte
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(state, str):
        return _PG_STATES.get(state) or _PG_CLASSES.get(state[:2])
    if exc.connection_invalidated:
        return "down"
    if type(original).__module__.startswith("psycopg"):
        return "down"  # psycopg's own failures carry no SQLSTATE: connecting, or a lost server
    text = str(original).lower()
    return next((check for message, check in _SQLITE_MESSAGES if message in text), None)
