"""/api/docs: the OpenAPI description in Swagger UI, served whole by the node.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the
node's Content-Security-Policy (``script-src 'self'``, ``style-src 'self'``) forbids both,
so the page stayed blank — and a node may have no way out to a CDN anyway. Here every byte
comes from the node: Swagger UI's distribution files from the ``fastapi-offline`` package
(Swagger UI 5, MIT-licensed wrapper, Swagger UI itself Apache-2.0), found without importing
it, under /api/docs/assets/; the starter, ``static/api-docs.js``, from the node's own
static files. The page itself has no inline script or style.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from hanoi.errors import SetupError

DOCS_PATH = "/api/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"

router = APIRouter(include_in_schema=False)

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hanoi node — HTTP API</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/api/openapi.json"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def swagger_ui_dir() -> Path:
    """The folder holding ``swagger-ui-bundle.js`` and ``swagger-ui.css``."""
    spec = importlib.util.find_spec("fastapi_offline")
    locations = list(spec.submodule_search_locations or ()) if spec else []
    for location in locations:
        folder = Path(location) / "static"
        if (folder / "swagger-ui-bundle.js").is_file() and (folder / "swagger-ui.css").is_file():
            return folder
    raise SetupError("Swagger UI's files (package fastapi-offline) are not installed")


def assets() -> StaticFiles:
    """Swagger UI's files, to be mounted at :data:`ASSETS_PATH`."""
    return StaticFiles(directory=swagger_ui_dir(), follow_symlink=False)


@router.get(DOCS_PATH)
def docs_page() -> HTMLResponse:
    return HTMLResponse(_PAGE)
