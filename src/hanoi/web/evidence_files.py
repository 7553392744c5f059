"""One decrypted evidence file as an HTTP download, to the pages and the JSON API alike
(:func:`hanoi.cases.evidence_files.download_file` applies the rules and records the opening).

The answer never lets the browser treat evidence as part of the node's pages: always
``application/octet-stream``, ``attachment``, ``nosniff``, never cached. The file name is
the manifest's (a plain name, already checked when sealed), and still given in two safe
forms: an ASCII fallback with anything doubtful replaced, and RFC 6266's ``filename*``
with every non-ASCII or special character percent-encoded, so no name can add a header or
a parameter. ``Content-Length`` is the manifest's plaintext size: a stream that does not
match the manifest is cut short of it (the client sees an incomplete body), never ended
cleanly.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse

from hanoi.accounts.models import User
from hanoi.cases.evidence_files import Channel, download_file, node_identity
from hanoi.web.deps import NodeServices

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()+-]")


def file_download(
    services: NodeServices,
    user: User,
    reference: str,
    package_id: str,
    index: int,
    *,
    channel: Channel,
    remote_addr: str | None,
) -> Response:
    """File ``index`` of a received package, decrypted as it is sent; 404 on a node
    without an identity (it holds no evidence)."""
    node = services.node
    if node is None:
        return Response(status_code=404)
    download = download_file(
        services.db,
        node,
        user=user,
        reference=reference,
        package_id=package_id,
        index=index,
        identity=node_identity(node),
        channel=channel,
        remote_addr=remote_addr,
    )
    digest = base64.b64encode(bytes.fromhex(download.sha256)).decode("ascii")
    return StreamingResponse(
        download.chunks,
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(download.size),
            "Content-Disposition": content_disposition(download.name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # RFC 9530: the SHA-256 of the whole file, as the signed manifest gives it.
            "Repr-Digest": f"sha-256=:{digest}:",
        },
    )


def content_disposition(name: str) -> str:
    """``attachment`` with ``name`` as an ASCII ``filename`` (doubtful characters as ``_``)
    and as RFC 6266/8187 ``filename*`` (UTF-8, percent-encoded)."""
    fallback = _UNSAFE_ASCII.sub("_", name).strip(" .") or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
