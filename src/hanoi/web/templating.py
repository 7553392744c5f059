"""Jinja2 pages: one environment per app, one function to render a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from hanoi import __version__
from hanoi.accounts.permissions import Permission, allowed
from hanoi.web import auth, i18n
from hanoi.web.deps import services_of
from hanoi.web.forms import option_name, problem_wording, value_at

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


# The channels a request travels by (``Instrument.channels``), as pages name them.
CHANNEL_NAMES = {
    "central_authority": i18n.N_("Central authority"),
    "point_of_contact_24_7": i18n.N_("24/7 point of contact"),
    "diplomatic": i18n.N_("Diplomatic channels"),
    "interpol": "INTERPOL",
    "extradition_authority": i18n.N_("Extradition authority"),
}
# "police" is left to the ``convention`` catalogue's channel names ("Police" alone, as a
# page message, would also be found inside authority names such as "Federal Police").


def channel_name(channel: str) -> str:
    """The message id naming ``channel`` (shown with ``| t``); an unknown code humanized."""
    return CHANNEL_NAMES.get(channel) or option_name(channel)


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
    i18n.install(templates.env)
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
