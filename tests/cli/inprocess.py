"""Run a `hanoi` command inside the test process, as a fresh process would see it.

Starting `.venv/bin/hanoi` costs a Python start-up and the imports of every module the
command needs, several tenths of a second each time; the suite runs hundreds of commands.
What a test of a command checks (its exit code, its stdout and stderr kept apart, the files
it writes, no traceback for bad input) does not depend on the process, so most tests run the
command here, through Click's test runner, with:

- the arguments, standard input and working directory given;
- exactly the environment given: every other variable is unset for the call;
- the exit code a process would end with (0, the ``typer.Exit`` code, 1 for an uncaught
  exception), and for an uncaught exception the traceback an interpreter would print on
  stderr, so the tests' "no traceback" checks keep their meaning;
- Rich's console made as in a process whose stdout is a pipe (no colours, the width of
  ``COLUMNS`` or 80): tests/conftest.py imports this module before anything imports the
  CLI. (Under ``pytest -s`` on a terminal, without xdist, tables take the terminal's width.)

Calls are serialised (the environment, the working directory and ``sys.stdout`` belong to
the whole process). What only a real process shows stays with real processes: start-up cost
and imports, signals, terminals, ``hanoi up`` and ``hanoi demo`` (tests/cli/test_cli.py runs
those, and its own tests of the command-line contract, as real processes).
"""

from __future__ import annotations

import io
import os
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

_ONE_AT_A_TIME = threading.Lock()

# Terminal hints a fresh process started from a pipe does not have (see cli_env).
TERMINAL_VARS = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def _import_the_cli_as_a_piped_process_would() -> None:
    """Import the CLI with no terminal hints and no terminal on stdout, once.

    Rich's console (hanoi.cli.output) fixes its width and colours when it is made, from the
    environment and from whether stdout is a terminal; a process started by a test makes it
    with stdout a pipe. Made so here, it takes its width from ``COLUMNS`` at each call, as
    a new process would, instead of keeping whatever this test process had at import (xdist
    workers, for one, have ``COLUMNS=80``)."""
    if "hanoi.cli.output" in sys.modules:
        raise RuntimeError("hanoi.cli was imported before tests/cli/inprocess.py (see conftest)")
    saved = {key: os.environ.pop(key) for key in TERMINAL_VARS if key in os.environ}
    stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        import hanoi.cli.main
        import hanoi.cli.output  # noqa: F401  (the console; main alone does not import it)
    finally:
        sys.stdout = stdout
        os.environ.update(saved)


_import_the_cli_as_a_piped_process_would()


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_in_process(
    cwd: Path, args: Sequence[str], stdin: bytes, env: Mapping[str, str]
) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``hanoi ARGS`` run in this process."""
    from hanoi.cli.main import app

    # Set the given variables before unsetting the others, so a thread of a node served in
    # this process never sees, e.g., HANOI_ARGON2_PROFILE missing in between.
    overrides: dict[str, str | None] = dict(env)
    overrides.update({key: None for key in os.environ if key not in env})
    with _ONE_AT_A_TIME, _working_directory(cwd):
        result = CliRunner().invoke(
            app, list(args), input=stdin, env=overrides, prog_name="hanoi", catch_exceptions=True
        )
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "".join(traceback.format_exception(result.exception))
    return result.exit_code, result.stdout, err
