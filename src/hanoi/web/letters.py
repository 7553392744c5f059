"""Letters served over HTTP (API and pages): bounded in pages, time and concurrency.

An HTML letter is cheap (one template) and is rendered in a worker thread. A PDF letter is
laid out by WeasyPrint, which can take minutes of CPU for a large valid document and
cannot be interrupted inside a thread, so each one runs in a child process
(:class:`~hanoi.cases.letter_process.LetterJob`) that is killed when:

- it runs past the node's time limit (``HANOI_LETTER_TIME_LIMIT``) — the client gets a
  413 problem naming the limit, not a 500 — or it runs to more pages than the node prints
  (``HANOI_LETTER_MAX_PAGES``), refused the same way;
- its client goes away: the connection's end is watched while the child works.

At most :data:`PDF_SLOTS` children run at once (the machine's cores are shared with the
rest of the node); and each user has one letter in progress at most: another asked
meanwhile is answered at once, 503 with ``Retry-After`` (:class:`LetterInProgress`), so one
user cannot queue up work that keeps everybody else's letters waiting.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from hanoi.cases.letter_process import LetterJob
from hanoi.cases.render import LetterFormat, LetterLanguage, render_html
from hanoi.config import Settings
from hanoi.directory.states import StateDirectory
from hanoi.errors import Unavailable

#: PDF letters laid out at once, node-wide (HTML letters share the thread limiter).
PDF_SLOTS = 2
RENDER_LIMITER = anyio.CapacityLimiter(PDF_SLOTS)

#: The letter is a standalone document with its own inline stylesheet and no script.
LETTER_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

#: The users (by id) with a letter in progress. The event loop is the only writer: a
#: check and an add with no await between them cannot interleave.
_IN_PROGRESS: set[str] = set()


class LetterInProgress(Unavailable):
    """This user already has a letter being rendered: one at a time per user."""

    title = "Letter in progress"


@contextmanager
def _one_per_user(user_id: str) -> Iterator[None]:
    if user_id in _IN_PROGRESS:
        raise LetterInProgress(
            "another of your letters is being rendered: try again when it is done"
        )
    _IN_PROGRESS.add(user_id)
    try:
        yield
    finally:
        _IN_PROGRESS.discard(user_id)


async def letter_response(
    request: Request,
    user_id: str,
    doc: BaseModel,
    lang: LetterLanguage,
    fmt: LetterFormat,
    directory: StateDirectory,
    settings: Settings,
    *,
    filename: str | None = None,
    bilingual: LetterLanguage | None = None,
) -> Response:
    """The letter in ``lang`` (then again in ``bilingual``, if given and not ``lang``)."""
    second = bilingual.value if bilingual is not None and bilingual is not lang else None
    with _one_per_user(user_id):
        if fmt is LetterFormat.PDF:
            pdf = await _render_pdf(request, doc, lang, directory, settings, second)
            if pdf is None:  # the client went away: nobody reads this
                return Response(status_code=499)
            headers = {}
            if filename:
                headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
            return Response(pdf, media_type="application/pdf", headers=headers)
        html = await anyio.to_thread.run_sync(
            functools.partial(render_html, doc, lang.value, directory=directory, bilingual=second),
            limiter=RENDER_LIMITER,
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": LETTER_CSP})


async def _render_pdf(
    request: Request,
    doc: BaseModel,
    lang: LetterLanguage,
    directory: StateDirectory,
    settings: Settings,
    bilingual: str | None,
) -> bytes | None:
    """The PDF, or None if the client left first (the child is killed either way)."""
    job = LetterJob(
        doc,
        lang.value,
        directory,
        max_pages=settings.letter_max_pages,
        time_limit=settings.letter_time_limit,
        bilingual=bilingual,
    )
    # Filled once the child answers; the error is raised outside the task group, which
    # would wrap it in an ExceptionGroup the error handlers do not know.
    outcome: list[bytes | Exception] = []
    async with RENDER_LIMITER:
        try:
            await anyio.to_thread.run_sync(job.start)
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    await _disconnected(request)
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                try:
                    # Abandoned on cancel: kill() below ends the child, and so the wait.
                    outcome.append(
                        await anyio.to_thread.run_sync(job.result, abandon_on_cancel=True)
                    )
                except Exception as exc:
                    outcome.append(exc)
                group.cancel_scope.cancel()
        finally:
            job.kill()
    if not outcome:
        return None
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


async def _disconnected(request: Request) -> None:
    """Return once the client has gone (its body, if any, was read before)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
