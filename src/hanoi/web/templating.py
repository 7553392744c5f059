"""Jinja2 pages: one environment per app, one function to render a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from hanoi import __version__
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.status import status_name
from hanoi.convention.names import CHANNEL_NAMES
from hanoi.web import auth, i18n
from hanoi.web.deps import services_of
from hanoi.web.forms import option_name, problem_wording, value_at
from hanoi.web.state_names import entry_channel_name, state_name_filter

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _allowed(role: str, permission: str) -> bool:
    return allowed(role, Permission(permission))


# Role names as the pages show them, translated where shown.
ROLE_NAMES = {
    "mla_officer": i18n.N_("MLA officer"),
    "duty_officer": i18n.N_("duty officer"),
    "supervisor": i18n.N_("supervisor"),
    "auditor": i18n.N_("auditor"),
    "admin": i18n.N_("administrator"),
}


def role_name(role: object) -> str:
    """``role`` in the page's language ("MLA officer", "agent d'entraide"...)."""
    key = str(getattr(role, "value", role))
    return i18n.gettext(ROLE_NAMES[key]) if key in ROLE_NAMES else key


def channel_name(code: str) -> str:
    """The channel an instrument travels by, named in English: a message id of the
    convention catalogue, translated where a page shows it (``| t``); an unknown code
    humanized."""
    return CHANNEL_NAMES.get(code) or option_name(code)  # type: ignore[call-overload]


def _status_name(status: object) -> str:
    """A request's status in the page's language ("awaiting approval", "en attente"...)."""
    return i18n.gettext(status_name(str(getattr(status, "value", status))))


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.globals["csrf_token"] = auth.csrf_token
    # Not "version": pages pass their own (a draft's version), which would hide this one.
    templates.env.globals["hanoi_version"] = __version__
    templates.env.globals["value_at"] = value_at
    templates.env.globals["allowed"] = lambda role, permission: allowed(
        role, Permission(permission)
    )
    templates.env.globals["role_name"] = role_name
    templates.env.globals["channel_name"] = channel_name
    templates.env.globals["option_name"] = option_name
    templates.env.globals["said"] = problem_wording
    templates.env.globals["status_name"] = _status_name
    i18n.install(templates.env)
    templates.env.filters["state_name"] = state_name_filter
    templates.env.filters["entry_channel_name"] = entry_channel_name
    return templates


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    services = services_of(request)
    lang = i18n.choose_language(request, context.get("user"), services.settings.default_language)
    # The page is drawn here, inside TemplateResponse, so the language holds for all of it.
    with i18n.speaking(lang):
        response = services.templates.TemplateResponse(
            request, name, context, status_code=status_code
        )
    response.headers["Content-Language"] = lang
    response.headers.setdefault("Vary", "Accept-Language, Cookie")
    return response
