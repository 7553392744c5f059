"""A PDF letter laid out in a process of its own, which can be stopped at any moment.

WeasyPrint's layout is pure Python holding the GIL, with no way to interrupt it: a valid
1 MiB request runs to hundreds of pages and a minute and more of CPU, and in a thread it
would run to the end even after its client left. So the node renders each PDF letter in a
child process, and:

- waits at most ``time_limit`` seconds for it, then kills it (:class:`LetterTooLarge`,
  ``check == "time"``); the child also has that much CPU time (RLIMIT_CPU) as a
  backstop, should the node itself die meanwhile;
- refuses a letter of more than ``max_pages`` pages before its PDF is written
  (``check == "pages"``, raised in the child and carried back);
- kills it whenever the caller gives up (:meth:`LetterJob.kill`: the client went away).

Children come from a fork server that has imported WeasyPrint once (``forkserver``
start method): each render starts in milliseconds, and nothing of the node's threads or
open connections is inherited, as a plain ``fork`` of a threaded server would.

What travels to the child: the document (a pydantic model), the language and the States
it needs (a tuple of :class:`~hanoi.directory.states.StateInfo`), all picklable. What comes
back: the PDF bytes, or the error to raise here (its class name and message).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any

from pydantic import BaseModel

from hanoi.cases.render import LetterTooLarge, RenderError, render_pdf
from hanoi.directory.states import StateDirectory, StateInfo
from hanoi.treaty.record import TreatyRecord

_CONTEXT: ForkServerContext | None = None
#: The process ids of the children rendering now (for the operator and the tests).
_RUNNING: set[int] = set()


def running() -> frozenset[int]:
    """The process ids of the letters being rendered now."""
    return frozenset(_RUNNING)


def _context() -> ForkServerContext:
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        # Imported once in the fork server, so that no child pays for loading pango.
        context.set_forkserver_preload(["hanoi.cases.letter_process", "weasyprint"])
        _CONTEXT = context
    return _CONTEXT


class LetterJob:
    """One PDF letter rendered in a child process: :meth:`start`, then :meth:`result`
    (blocking) from one thread, :meth:`kill` from any, always at the end."""

    def __init__(
        self,
        doc: BaseModel,
        lang: str,
        directory: StateDirectory,
        *,
        max_pages: int,
        time_limit: float,
        bilingual: str | None = None,
    ) -> None:
        self._args = (
            doc,
            lang,
            directory.states,
            directory.treaty,
            max_pages,
            time_limit,
            bilingual,
        )
        self._time_limit = time_limit
        self._receiver: Connection | None = None
        self._process: Any = None
        self._waiting = False

    def start(self) -> None:
        context = _context()
        receiver, sender = context.Pipe(duplex=False)
        self._receiver = receiver
        self._process = context.Process(
            target=_child, args=(sender, *self._args), name="hanoi-letter", daemon=True
        )
        self._process.start()
        _RUNNING.add(self._process.pid)
        sender.close()  # the child holds the only writer: its end means EOF here

    def result(self) -> bytes:
        """The PDF; :class:`LetterTooLarge` when over the page cap or out of time."""
        receiver = self._receiver
        assert receiver is not None, "start() first"
        self._waiting = True  # the receiver is closed here, not by kill(), from now on
        try:
            if not receiver.poll(self._time_limit):
                self._stop()
                raise LetterTooLarge(
                    f"the letter took more than {self._time_limit:g} seconds to lay out and "
                    "was stopped: shorten the request",
                    check="time",
                )
            try:
                kind, payload = receiver.recv()
            except (EOFError, OSError):
                # The child died without a word: killed meanwhile, or over its CPU limit.
                raise LetterTooLarge(
                    "the letter could not be laid out within the node's limits: shorten "
                    "the request",
                    check="time",
                ) from None
        finally:
            receiver.close()
        if kind == "pdf":
            return bytes(payload)
        if kind == "pages":
            raise LetterTooLarge(str(payload), check="pages")
        if kind == "error":
            raise RenderError(str(payload))
        raise RuntimeError(f"rendering the letter failed: {payload}")

    def kill(self) -> None:
        """Stop the child now (if still running) and reap it; safe to call twice and from
        another thread than :meth:`result`'s, whose wait then ends (the pipe's writer is
        gone)."""
        self._stop()
        if not self._waiting and self._receiver is not None:
            self._receiver.close()

    def _stop(self) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        if process.is_alive():
            process.kill()
        process.join(5)
        _RUNNING.discard(process.pid)
        with contextlib.suppress(ValueError):
            process.close()


def _child(
    sender: Connection,
    doc: BaseModel,
    lang: str,
    states: tuple[StateInfo, ...],
    treaty: TreatyRecord | None,
    max_pages: int,
    time_limit: float,
    bilingual: str | None = None,
) -> None:
    """In the child: render, send the outcome, exit."""
    seconds = int(time_limit) + 2  # the parent's deadline comes first; this is a backstop
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    try:
        pdf = render_pdf(
            doc,
            lang,
            directory=StateDirectory(states, treaty=treaty),
            max_pages=max_pages,
            bilingual=bilingual,
        )
    except LetterTooLarge as exc:
        sender.send(("pages", str(exc)))
    except RenderError as exc:
        sender.send(("error", str(exc)))
    except Exception as exc:  # a bug: told to the parent, which answers it as one (500)
        sender.send(("bug", f"{type(exc).__name__}: {exc}"))
    else:
        sender.send(("pdf", pdf))
    finally:
        sender.close()
