"""The node's web application: JSON API under /api/v1, server-rendered pages elsewhere.

On the Secretariat's node (a home holding ``secretariat/repository``), the signed directory
of States is also served, read-only, as static files under /directory/ (and a page saying
what it is at /directory/ itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from hanoi import __version__
from hanoi.accounts.sessions import SESSION_LIFETIME
from hanoi.config import Settings
from hanoi.db import Database
from hanoi.exchange.delivery import Worker
from hanoi.exchange.identity import LocalNode
from hanoi.web import api_docs
from hanoi.web.api import router as api_router
from hanoi.web.api.requests import add_document_schema
from hanoi.web.deps import NodeServices, install
from hanoi.web.directory_index import directory_router
from hanoi.web.federation import router as federation_router
from hanoi.web.ledger import router as ledger_router
from hanoi.web.limits import BodyLimit
from hanoi.web.pages import router as pages_router
from hanoi.web.problems import install_error_handlers
from hanoi.web.templating import make_templates
from hanoi.web.witness import router as witness_router

HERE = Path(__file__).parent

SECURITY_HEADERS = {
    # Pages use only their own scripts and styles: no CDN, no inline script.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    secure_cookies: bool = True,
    node: LocalNode | None = None,
    worker: Worker | None = None,
) -> FastAPI:
    """The node's app. ``node`` (this node's identity and keys) enables /federation/v1;
    ``worker`` is the delivery loop to wake when something is queued."""
    app = FastAPI(
        title="Hanoi node",
        version=__version__,
        description="Cooperation requests under the UN Convention against Cybercrime.",
        docs_url=None,  # served by web/api_docs.py, with no CDN and no inline script
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    services = NodeServices(
        settings=settings,
        db=database or Database(settings.database_url),
        templates=make_templates(),
        node=node,
        worker=worker,
    )
    install(app, services)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key().decode(),
        session_cookie="hanoi_session",
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="strict",
        https_only=secure_cookies,
    )

    app.add_middleware(BodyLimit)
    headers = dict(SECURITY_HEADERS)
    if secure_cookies:
        # Served over HTTPS: browsers must never come back over plain HTTP.
        headers["Strict-Transport-Security"] = "max-age=31536000"

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    install_error_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_document_schema(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount(api_docs.ASSETS_PATH, api_docs.assets(), name="api-docs-assets")
    app.include_router(api_docs.router)
    repository = settings.home / "secretariat" / "repository"
    if repository.is_dir():
        # The Secretariat's node serves its signed directory as plain static files, as any
        # web server could: GET and HEAD only, no listing, nothing outside the folder (a
        # symbolic link leading out is refused). Nodes verify every byte themselves. The
        # address itself answers with a page saying what it is (before the files' mount).
        app.include_router(directory_router(repository.parent))
        app.mount(
            "/directory",
            StaticFiles(directory=repository, html=False, follow_symlink=False),
            name="directory",
        )
    app.include_router(api_router)
    if node is not None:
        # Only a node with an identity (keys, node.json) opens the door to other nodes.
        app.include_router(federation_router)
        app.include_router(witness_router)  # tlog-witness: cosign other States' logs
    app.include_router(ledger_router)  # the public tlog-tiles prefix /ledger/
    app.include_router(pages_router)
    return app
