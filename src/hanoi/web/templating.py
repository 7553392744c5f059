"""Jinja2 pages: one environment per app, one function to render a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from hanoi import __version__
from hanoi.accounts.permissions import Permission, allowed
from hanoi.web import auth
from hanoi.web.deps import services_of
from hanoi.web.forms import value_at

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _allowed(role: str, permission: str) -> bool:
    return allowed(role, Permission(permission))


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.globals["csrf_token"] = auth.csrf_token
    # Not "version": pages pass their own (a draft's version), which would hide this one.
    templates.env.globals["hanoi_version"] = __version__
    templates.env.globals["value_at"] = value_at
    templates.env.globals["allowed"] = lambda role, permission: allowed(
        role, Permission(permission)
    )
    return templates


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates = services_of(request).templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)
