"""The one place where domain errors become CLI messages and exit codes.

Exit codes (design brief §5): 0 ok, 1 the checked thing is invalid, 2 usage or unreadable
input. Bad input never shows a traceback: every expected error is a one-line message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

err_console = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


class CliUsageError(Exception):
    """Bad arguments or unreadable input found by the CLI layer itself."""


def _expected_errors() -> tuple[type[BaseException], ...]:
    # Imported lazily so `hanoi --help` stays fast and a broken optional part cannot
    # break unrelated commands.
    from hanoi.accounts.errors import AccountError
    from hanoi.cases.drafts import DraftNotFound
    from hanoi.cases.errors import CasesError
    from hanoi.cases.render import RenderError
    from hanoi.convention.errors import ConventionError

    return (CliUsageError, ConventionError, CasesError, AccountError, RenderError, DraftNotFound)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Turn expected domain errors raised by a command into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except _expected_errors() as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.filename or 'file'}: {exc.strerror or exc}")

    return wrapper
