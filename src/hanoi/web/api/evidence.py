"""Evidence over the JSON API beyond listing packages (which lives with the requests in
``cases.py``): each file of a received package, decrypted
(:func:`hanoi.web.evidence_files.file_download`).

Downloading plaintext evidence is an act on the request: it needs a token with the
``write`` scope, and a role that acts on requests; need-to-know as for the request.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.web.api.callers import Writer
from hanoi.web.deps import Services
from hanoi.web.evidence_files import file_download
from hanoi.web.problems import problem_responses

router = APIRouter(tags=["requests"])


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
    remote_addr = request.client.host if request.client else None
    return file_download(
        services,
        caller.user,
        reference,
        package_id,
        index,
        channel="api",
        remote_addr=remote_addr,
    )
