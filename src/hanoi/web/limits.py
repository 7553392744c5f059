"""A hard bound on request bodies, applied before any handler reads them.

Handlers bound what they parse (1 MiB documents, forms without files); this middleware stops
a client from streaming more than that into the node in the first place. Evidence uploads
are the exceptions, each written to disk as it arrives: a piece of a payload between nodes
may carry up to :data:`~hanoi.evidence.transfer.MAX_PATCH_BYTES`, and a piece of a file an
officer uploads into a request's staging folder (from the page or the JSON API) up to
:data:`~hanoi.evidence.staging.MAX_CHUNK_BYTES`.
"""

from __future__ import annotations

import html
import re

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanoi.evidence.staging import MAX_CHUNK_BYTES
from hanoi.evidence.transfer import MAX_PATCH_BYTES
from hanoi.web.problems import problem

#: Room for a 1 MiB document sent as a URL-encoded form, where bytes may triple.
MAX_BODY_BYTES = 4 << 20
UPLOAD_PREFIX = "/federation/v1/evidence/"
#: Where officers' uploads into a staging folder send their pieces (PATCH).
STAGING_UPLOAD = re.compile(
    r"/(api/v1/requests/[^/]+/evidence|requests/[^/]+/staging)/uploads/[^/]+"
)
TOO_LARGE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too large · Hanoi'
    "</title></head><body><main><h1>Too large to send</h1><p>Nothing was saved: {detail}.</p>"
    "<p>Go back: your browser still has what you typed. Shorten the longest texts (evidence "
    "travels separately, not in the request) and save again.</p></main></body></html>"
)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if scope["method"] == "PATCH":
            if scope["path"].startswith(UPLOAD_PREFIX):
                limit = MAX_PATCH_BYTES
            elif STAGING_UPLOAD.fullmatch(scope["path"]):
                limit = MAX_CHUNK_BYTES
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                # Declared too large: answer at once, before anything reads the body.
                detail = f"request bodies are limited to {limit:,} bytes"
                if scope["path"].startswith(("/api/", "/federation/")):
                    await problem(413, "Request too large", detail)(scope, receive, send)
                else:
                    # A page, not a bare status: the officer learns that going back keeps
                    # the text (the draft form also stops such a submit before it is sent).
                    page = TOO_LARGE_PAGE.format(detail=html.escape(detail))
                    await HTMLResponse(page, status_code=413)(scope, receive, send)
                return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request bodies are limited to {limit:,} bytes")
            return message

        await self.app(scope, bounded, send)
