"""Letters served over HTTP (API and pages), rendered off the event loop, a few at a time.

PDF layout of a large request can take seconds of CPU; a small limiter keeps a burst of
letter requests from taking every worker thread while sign-in and pages stay responsive.
"""

from __future__ import annotations

import functools

import anyio
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from hanoi.cases.render import LetterFormat, LetterLanguage, render_html, render_pdf
from hanoi.directory.states import StateDirectory

RENDER_LIMITER = anyio.CapacityLimiter(2)

#: The letter is a standalone document with its own inline stylesheet and no script.
LETTER_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


async def letter_response(
    doc: BaseModel,
    lang: LetterLanguage,
    fmt: LetterFormat,
    directory: StateDirectory,
    *,
    filename: str | None = None,
) -> Response:
    if fmt is LetterFormat.PDF:
        pdf = await anyio.to_thread.run_sync(
            functools.partial(render_pdf, doc, lang.value, directory=directory),
            limiter=RENDER_LIMITER,
        )
        headers = {}
        if filename:
            headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return Response(pdf, media_type="application/pdf", headers=headers)
    html = await anyio.to_thread.run_sync(
        functools.partial(render_html, doc, lang.value, directory=directory),
        limiter=RENDER_LIMITER,
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": LETTER_CSP})
