"""The encrypted evidence package of a request as a download from its page
(:func:`hanoi.web.packages.package_tar`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.accounts.permissions import Permission
from hanoi.web import auth
from hanoi.web.deps import Services
from hanoi.web.packages import package_tar

router = APIRouter()


@router.get("/requests/{reference}/evidence/{package_id}.tar")
def download(request: Request, reference: str, package_id: str, services: Services) -> Response:
    """The encrypted package as one tar: what a court or an expert receives."""
    user = auth.require_permission(request, services.db, Permission.READ_REQUESTS)
    remote_addr = request.client.host if request.client else None
    return package_tar(services, user, reference, package_id, remote_addr)
