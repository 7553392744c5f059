"""Checking and rendering request documents over HTTP.

Bodies are read raw and bounded, then parsed by the same function as the CLI, so the API
gives the same one-line messages for the same bad input.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
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
from hanoi.cases.render import render_html, render_pdf
from hanoi.web.problems import ApiError, problem_responses

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


_DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/RequestDocument"}}
        },
    }
}


class Lang(StrEnum):
    en = "en"
    fr = "fr"


class Format(StrEnum):
    html = "html"
    pdf = "pdf"


async def _read_document(request: Request) -> Any:
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
    openapi_extra=_DOCUMENT_BODY,
)
async def check(request: Request) -> CheckReport:
    """Check a request against its article; every problem is listed at once."""
    return await run_in_threadpool(check_document, await _read_document(request))


@router.post(
    "/render",
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}},
        **problem_responses(413, 422),
    },
    response_class=Response,
    openapi_extra=_DOCUMENT_BODY,
)
async def render(request: Request, lang: Lang = Lang.en, format: Format = Format.html) -> Response:
    """The formal request letter as HTML or PDF."""
    doc = await _read_document(request)
    if format is Format.pdf:
        pdf = await run_in_threadpool(render_pdf, doc, lang.value)
        return Response(pdf, media_type="application/pdf")
    return HTMLResponse(await run_in_threadpool(render_html, doc, lang.value))
