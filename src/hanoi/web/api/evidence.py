"""Evidence delivered from the requested State over the JSON API: the request's staging
folder (listed, uploaded into resumably, emptied) and a package sealed from it and
delivered in one call.

The services are those of the request page (:mod:`hanoi.cases.evidence_staging`) with
their rules: need-to-know (another authority's request is a 404), a role that may not act
a 403, a request this node does not execute or not in execution yet a 422 naming why. Every
write needs a token with the ``write`` scope. Uploads follow ``web/staging.py``: ``POST``
declares the name and size, ``HEAD`` tells the offset, ``PATCH`` appends a piece (at most
16 MiB) at it.

At the requesting State, each file of a received package is downloaded decrypted
(:func:`hanoi.web.evidence_files.file_download`): an act on the request, so a ``write``
token and a role that acts on requests.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hanoi.cases.access import get_request
from hanoi.cases.evidence_staging import (
    MAX_FILES,
    abandon_upload,
    remove_staged,
    seal_and_deliver,
    staged,
    start_upload,
    upload_state,
)
from hanoi.evidence.staging import MAX_FILE_BYTES
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE
from hanoi.web.api.callers import Reader, Writer
from hanoi.web.deps import Services, client_address
from hanoi.web.evidence_files import file_download
from hanoi.web.packages import package_json, package_views
from hanoi.web.problems import problem_responses
from hanoi.web.staging import (
    node_of,
    offset_answer,
    receive_piece,
    staged_json,
    upload_json,
)

router = APIRouter(tags=["evidence"])

_READ = problem_responses(401, 403, 404, 422, 503)
_WRITE = problem_responses(400, 401, 403, 404, 409, 413, 422, 503)
_OFFSET_HEADERS = {
    "Upload-Offset": {"description": "Bytes the node holds", "schema": {"type": "integer"}},
    "Upload-Length": {"description": "The declared size", "schema": {"type": "integer"}},
}


class UploadStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, description="The file's plain name")
    size: int = Field(gt=0, le=MAX_FILE_BYTES, description="Its size in bytes")


class SealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: list[str] = Field(min_length=1, max_length=MAX_FILES)
    remove_staged: bool = Field(
        default=True, description="Remove the plaintext files from the staging folder once sealed"
    )


@router.get("/requests/{reference}/evidence/staging", responses=_READ)
def list_staged(reference: str, caller: Reader, services: Services) -> dict[str, Any]:
    """The files staged for sealing (dropped in the node's staging folder for the request,
    or uploaded), and the uploads under way."""
    files, uploads = staged(services.db, node_of(services), user=caller.user, reference=reference)
    return staged_json(files, uploads)


@router.delete("/requests/{reference}/evidence/staging/{name}", status_code=204, responses=_WRITE)
def delete_staged(reference: str, name: str, caller: Writer, services: Services) -> Response:
    """Remove a staged file."""
    remove_staged(services.db, node_of(services), user=caller.user, reference=reference, name=name)
    return Response(status_code=204)


@router.post(
    "/requests/{reference}/evidence/uploads",
    status_code=201,
    responses=_WRITE,
)
def start(reference: str, body: UploadStart, caller: Writer, services: Services) -> dict[str, Any]:
    """Start uploading a file into the staging folder (or find the upload under way for the
    same name and size: its offset says where to go on). 422 if the disk lacks room."""
    pending = start_upload(
        services.db,
        node_of(services),
        user=caller.user,
        reference=reference,
        name=body.name,
        size=body.size,
    )
    return upload_json(pending)


@router.head(
    "/requests/{reference}/evidence/uploads/{upload_id}",
    responses={200: {"headers": _OFFSET_HEADERS}, **_READ},
)
def offset_head(reference: str, upload_id: str, caller: Reader, services: Services) -> Response:
    """Where an upload stands: ``Upload-Offset``, the bytes the node holds (the offset to
    send the next piece at), and ``Upload-Length``. 404 once complete: the file is staged."""
    pending = upload_state(
        services.db, node_of(services), user=caller.user, reference=reference, upload_id=upload_id
    )
    return offset_answer(pending)


@router.get(
    "/requests/{reference}/evidence/uploads/{upload_id}",
    responses={200: {"headers": _OFFSET_HEADERS}, **_READ},
)
def offset_get(reference: str, upload_id: str, caller: Reader, services: Services) -> JSONResponse:
    """Where an upload stands, as ``HEAD`` tells it, and the upload as JSON."""
    pending = upload_state(
        services.db, node_of(services), user=caller.user, reference=reference, upload_id=upload_id
    )
    headers = dict(offset_answer(pending).headers)
    del headers["content-length"]
    return JSONResponse(upload_json(pending), headers=headers)


@router.patch(
    "/requests/{reference}/evidence/uploads/{upload_id}",
    status_code=204,
    responses={
        204: {"headers": _OFFSET_HEADERS},
        **problem_responses(400, 401, 403, 404, 408, 409, 413, 422, 423, 503),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {CHUNK_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        "parameters": [
            {
                "name": "Upload-Offset",
                "in": "header",
                "required": True,
                "schema": {"type": "integer"},
            }
        ],
    },
)
async def append(
    request: Request, reference: str, upload_id: str, caller: Writer, services: Services
) -> Response:
    """Append a piece (at most 16 MiB) at ``Upload-Offset``; answers the new offset, or
    409 with the offset held. The last byte puts the file in the staging folder."""
    return await receive_piece(request, services, caller.user, reference, upload_id)


@router.delete(
    "/requests/{reference}/evidence/uploads/{upload_id}", status_code=204, responses=_WRITE
)
def abandon(reference: str, upload_id: str, caller: Writer, services: Services) -> Response:
    """Give up an upload under way; its bytes are removed."""
    abandon_upload(
        services.db, node_of(services), user=caller.user, reference=reference, upload_id=upload_id
    )
    return Response(status_code=204)


@router.post("/requests/{reference}/evidence", status_code=201, responses=_WRITE)
def seal(reference: str, body: SealBody, caller: Writer, services: Services) -> dict[str, Any]:
    """Seal staged files for the State that made the request and deliver the package (the
    node uploads it once the other node holds the offer); answers the package as
    ``GET .../evidence`` lists it. The staged plaintext files are removed unless
    ``remove_staged`` is false; nothing changes if sealing fails."""
    node = node_of(services)
    row = seal_and_deliver(
        services.db,
        node,
        user=caller.user,
        reference=reference,
        names=body.files,
        remove_staged=body.remove_staged,
    )
    if services.worker is not None:
        services.worker.wake()  # the offer leaves now, not at the next poll
    with services.db.session() as session:
        case = get_request(session, user=caller.user, reference=reference, record_view=False)
        views = [v for v in package_views(session, case, node.home) if v.id == row.id]
    return package_json(views[0])


@router.get(
    "/requests/{reference}/evidence/{package_id}/files/{index}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        **problem_responses(401, 403, 404, 422),
    },
)
def evidence_file(
    request: Request,
    reference: str,
    package_id: str,
    index: int,
    caller: Writer,
    services: Services,
) -> Response:
    """File ``index`` of a package this node received and verified, decrypted as it is
    sent (``Repr-Digest`` gives its SHA-256 from the signed manifest). Each download is an
    opening of that file, recorded in the package's custody graph, on the timeline and in
    the audit log before the first byte; a file that does not match its manifest is cut
    short of its ``Content-Length``. 422 for a package that is not a verified delivery."""
    remote_addr = client_address(request)
    return file_download(
        services,
        caller.user,
        reference,
        package_id,
        index,
        channel="api",
        remote_addr=remote_addr,
    )
