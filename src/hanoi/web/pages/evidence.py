"""The evidence of a request as downloads from its page: the encrypted package
(:func:`hanoi.web.packages.package_tar`), and each file of a received package, decrypted
(:func:`hanoi.web.evidence_files.file_download`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.accounts.permissions import Permission
from hanoi.web import auth
from hanoi.web.deps import Services, client_address
from hanoi.web.evidence_files import file_download
from hanoi.web.packages import package_tar

router = APIRouter()


@router.get("/requests/{reference}/evidence/{package_id}.tar")
def download(request: Request, reference: str, package_id: str, services: Services) -> Response:
    """The encrypted package as one tar: what a court or an expert receives."""
    user = auth.require_permission(request, services.db, Permission.READ_REQUESTS)
    remote_addr = client_address(request)
    return package_tar(services, user, reference, package_id, remote_addr)


# --- one decrypted file of a received package -------------------------------------------------


@router.get("/requests/{reference}/evidence/{package_id}/files/{index}")
def download_file(
    request: Request, reference: str, package_id: str, index: int, services: Services
) -> Response:
    """One file of a package this node received and verified, decrypted as it is sent: an
    act on the request, recorded in the package's custody graph, timeline and audit log."""
    user = auth.require_permission(request, services.db, Permission.ACT_ON_REQUESTS)
    remote_addr = client_address(request)
    return file_download(
        services, user, reference, package_id, index, channel="web", remote_addr=remote_addr
    )
