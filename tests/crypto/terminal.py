"""Run a command on a pseudo-terminal and answer passphrase prompts, as a person would.

The `age` CLI reads passphrases from the terminal only (never from a pipe), so the tests
that show it decrypting with a passphrase-protected identity need a real terminal.
"""

from __future__ import annotations

import os
import pty
import re
import select
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TerminalRun:
    code: int
    transcript: str
    prompts: int


# age: 'Enter passphrase for identity file "...": ' and 'Enter passphrase: ';
# bash `read -p`: the docs use the prompt 'Passphrase: '.
PROMPT = re.compile(r"Enter passphrase[^\r\n]*: |(?<![a-z])Passphrase: ")


def run_on_terminal(
    argv: Sequence[str],
    answer: str,
    *,
    cwd: str,
    env: Mapping[str, str],
    timeout: float = 120,
) -> TerminalRun:
    """Run ``argv`` with a pseudo-terminal as its controlling terminal, typing ``answer``
    and Enter at every passphrase prompt. Returns the exit code and everything shown."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin/stdout/stderr and /dev/tty are the terminal
        try:
            os.chdir(cwd)
            os.execvpe(argv[0], list(argv), dict(env))
        finally:
            os._exit(127)
    shown = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if fd in ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
                prompts = len(PROMPT.findall(shown.decode("utf-8", "replace")))
                while answered < prompts:
                    time.sleep(0.2)  # let the prompting program turn echo off first
                    os.write(fd, answer.encode() + b"\n")
                    answered += 1
            else:
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    return TerminalRun(os.waitstatus_to_exitcode(status), _text(shown), answered)
        else:
            os.kill(pid, 9)
            raise TimeoutError(f"{argv[0]} still running after {timeout} s:\n{_text(shown)}")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return TerminalRun(os.waitstatus_to_exitcode(status), _text(shown), answered)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n")
