"""The one place where errors become CLI messages and exit codes.

Exit codes (design brief §5): 0 ok, 1 the checked thing is invalid, 2 usage or unreadable
input. Bad input never shows a traceback: every expected error is a one-line message.

Every error of ours is mapped by its decision (:mod:`hanoi.errors`), in the one table
:data:`EXIT_CODES`: a signature, proof, hash or directory file that does not verify is
exit 1; everything else of ours (bad arguments or input, nothing found, not set up...) is
exit 2. A few commands that check something say more first (``DOES NOT VERIFY``, the
problems of a document) and then exit the same way.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer

from hanoi.errors import HanoiError, InvalidInput, VerificationFailed

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

#: The exit code of each decision; the first row that matches wins.
EXIT_CODES: tuple[tuple[type[HanoiError], int], ...] = (
    (VerificationFailed, EXIT_INVALID),
    (HanoiError, EXIT_USAGE),
)


P = ParamSpec("P")
R = TypeVar("R")


class CliUsageError(InvalidInput):
    """Bad arguments or unreadable input found by the CLI layer itself."""


def exit_code(exc: HanoiError) -> int:
    """The exit code :data:`EXIT_CODES` gives ``exc``."""
    return next(code for decision, code in EXIT_CODES if isinstance(exc, decision))


def _message(exc: HanoiError) -> str:
    # Imported here so that `hanoi --help` does not load the node and crypto modules.
    from hanoi.node import NodeFieldError

    if isinstance(exc, NodeFieldError):  # phrased for the option that was given
        return f"--{exc.field} {exc.reason}"
    return str(exc)


def _database_error(exc: BaseException) -> str | None:
    """A one-line message when ``exc`` means the database cannot be reached or named."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    if isinstance(exc, OperationalError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"cannot use the database: {reason}"
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return f"cannot use the database URL: {str(exc).splitlines()[0]}"
    return None


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    # Plain text on one line: no wrapping and no markup, whatever the terminal or the text.
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise typer.Exit(code)


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors of ours a command raises into a message and their exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise  # a command's own exit code, not an error
        except HanoiError as exc:
            fail(_message(exc), exit_code(exc))
        except OSError as exc:
            fail(f"{exc.filename or 'file'}: {exc.strerror or exc}")
        except Exception as exc:
            message = _database_error(exc)
            if message is None:
                raise
            fail(message)

    return wrapper
