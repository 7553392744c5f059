"""Server-rendered pages: they work without JavaScript and call the same services as the CLI."""

from fastapi import APIRouter

from hanoi.web.pages import (
    audit,
    conditions,
    drafts,
    evidence,
    glossary,
    language,
    ledger,
    requests,
    sending,
    sign_in,
    staging,
    states,
    treaty,
)

router = APIRouter(include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(language.router)
router.include_router(glossary.router)
router.include_router(treaty.router)
router.include_router(drafts.router)
router.include_router(sending.router)
router.include_router(requests.router)
router.include_router(conditions.router)
router.include_router(evidence.router)
router.include_router(staging.router)
router.include_router(audit.router)
router.include_router(states.router)
router.include_router(ledger.router)
