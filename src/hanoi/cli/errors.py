"""The one place where domain errors become CLI messages and exit codes.

Exit codes (design brief §5): 0 ok, 1 the checked thing is invalid, 2 usage or unreadable
input. Bad input never shows a traceback: every expected error is a one-line message.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


P = ParamSpec("P")
R = TypeVar("R")


class CliUsageError(Exception):
    """Bad arguments or unreadable input found by the CLI layer itself."""


def _expected_errors() -> tuple[type[BaseException], ...]:
    # Imported lazily so `hanoi --help` stays fast and a broken optional part cannot
    # break unrelated commands.
    from hanoi.accounts.errors import AccountError
    from hanoi.cases.errors import CasesError
    from hanoi.cases.render import RenderError
    from hanoi.config import ConfigError
    from hanoi.convention.errors import ConventionError
    from hanoi.crypto.errors import CryptoError
    from hanoi.demo.serving import DemoServeError
    from hanoi.directory.errors import DirectoryError
    from hanoi.evidence.errors import EvidenceError
    from hanoi.exchange.errors import ExchangeError
    from hanoi.node import NodeError

    return (
        CliUsageError,
        ConventionError,
        CasesError,
        AccountError,
        RenderError,
        CryptoError,
        DirectoryError,
        NodeError,
        ExchangeError,
        EvidenceError,
        DemoServeError,
        ConfigError,
    )


def _message(exc: BaseException) -> str:
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
    """Turn expected domain errors raised by a command into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise  # a command's own exit code, not an error
        except _expected_errors() as exc:
            fail(_message(exc))
        except OSError as exc:
            fail(f"{exc.filename or 'file'}: {exc.strerror or exc}")
        except Exception as exc:
            message = _database_error(exc)
            if message is None:
                raise
            fail(message)

    return wrapper
