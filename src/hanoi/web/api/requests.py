"""Checking and rendering request documents over HTTP.

Bodies are read raw and bounded, then parsed by the same function as the CLI, so the API
gives the same one-line messages for the same bad input.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from hanoi.cases.check import CheckReport, check_document
from hanoi.cases.documents import (
    KINDS,
    MAX_DOCUMENT_BYTES,
    RequestDocument,
    new_document,
    parse_document,
)
from hanoi.cases.errors import DocumentError
from hanoi.cases.render import LetterFormat, LetterLanguage
from hanoi.web.auth import require_api_user
from hanoi.web.deps import Db, NodeSettings
from hanoi.web.errors import ApiError
from hanoi.web.letters import letter_response
from hanoi.web.node import states
from hanoi.web.problems import problem_responses

router = APIRouter(prefix="/requests", tags=["requests"])

#: JSON Schema of a request document, merged into the OpenAPI components by the app.
DOCUMENT_SCHEMA = TypeAdapter(RequestDocument).json_schema(
    ref_template="#/components/schemas/{model}"
)


def add_document_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Publish the request-document schema in the OpenAPI components.

    The check and render endpoints read their body raw (to bound its size and give the same
    one-line errors as the CLI), so FastAPI cannot see the model; the schema is added here.
    """
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    document = dict(DOCUMENT_SCHEMA)
    schemas.update(document.pop("$defs", {}))
    schemas["RequestDocument"] = document
    return openapi


DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/RequestDocument"}}
        },
    }
}


async def read_document(request: Request) -> Any:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise ApiError(
                413, "Document too large", f"the limit is {MAX_DOCUMENT_BYTES:,} bytes (1 MiB)"
            )
    try:
        return parse_document(bytes(body))
    except DocumentError as exc:
        raise ApiError(422, "Invalid request document", str(exc)) from exc


@router.get("/templates/{kind}", responses=problem_responses(404))
def template(kind: str) -> dict[str, Any]:
    """A blank request of the given kind, ready to fill in."""
    if kind not in KINDS:
        raise ApiError(404, "Unknown request kind", f"choose one of: {', '.join(KINDS)}")
    return new_document(kind).model_dump(mode="json")


@router.post(
    "/check",
    response_model=CheckReport,
    responses=problem_responses(413, 422),
    openapi_extra=DOCUMENT_BODY,
)
async def check(request: Request, settings: NodeSettings) -> CheckReport:
    """Check a request against its article; every problem is listed at once."""
    doc = await read_document(request)
    return await run_in_threadpool(
        functools.partial(check_document, doc, directory=states(settings))
    )


@router.post(
    "/render",
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}},
        **problem_responses(401, 403, 413, 422, 503),
    },
    response_class=Response,
    openapi_extra=DOCUMENT_BODY,
)
async def render(
    request: Request,
    db: Db,
    settings: NodeSettings,
    lang: LetterLanguage = LetterLanguage.EN,
    format: LetterFormat = LetterFormat.HTML,
    bilingual: Annotated[
        LetterLanguage | None,
        Query(
            description="A second language: the same letter follows in it, each version "
            "complete (e.g. the requested State's language, then the officer's)."
        ),
    ] = None,
) -> Response:
    """The formal request letter as HTML or PDF, in ``lang``, or in ``lang`` and then in
    ``bilingual``. Needs a signed-in officer: rendering is the one costly thing the API
    does."""
    user = await run_in_threadpool(require_api_user, request, db)
    doc = await read_document(request)
    return await letter_response(
        request, user.id, doc, lang, format, states(settings), settings, bilingual=bilingual
    )
