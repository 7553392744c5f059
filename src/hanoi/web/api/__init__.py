"""JSON API under /api/v1: thin translations of HTTP to the domain services."""

from fastapi import APIRouter

from hanoi.web.api import cases, convention, drafts, evidence, requests, treaty

router = APIRouter(prefix="/api/v1")
router.include_router(convention.router)
router.include_router(requests.router)
router.include_router(drafts.router)
router.include_router(cases.router)
router.include_router(evidence.router)
router.include_router(treaty.router)


@router.get("/health", tags=["node"])
def health() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok"}
