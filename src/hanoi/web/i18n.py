"""The language of a page: which one, its words, and its dates and numbers.

A page is drawn in the first of these that names one of the six UN languages:

1. the signed-in user's setting (``users.language``, set with the switcher on every page,
   or ``hanoi user language``);
2. the ``hanoi_lang`` cookie, which the switcher sets for a visitor not signed in (the
   sign-in page) and keeps beside the setting, so signing out does not change language;
3. the browser's ``Accept-Language`` (``hanoi.i18n.languages.negotiate``);
4. the node's default, ``HANOI_DEFAULT_LANGUAGE`` (English unless set).

The chosen language is held in a context variable while the page is drawn (``speaking``),
so the templates' ``_()``, ``{% trans %}`` and the filters below, and the few strings the
handlers word in Python (``gettext``), all read it without being handed it; a value made
by ``N_`` or ``wording`` (``hanoi.i18n.marker``, usable from any layer, re-exported here)
is only marked for extraction and translated where a template shows it (``t``).
Translations come from the ``pages`` and ``convention`` catalogues (``hanoi.i18n``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from markupsafe import Markup, escape
from starlette.requests import Request

from hanoi.i18n import catalogues
from hanoi.i18n.languages import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    direction,
    format_locale,
    html_lang,
    negotiate,
)
from hanoi.i18n.marker import N_, Wording, wording

__all__ = [
    "LANGUAGE_COOKIE",
    "N_",
    "PAGE_DOMAINS",
    "Wording",
    "active_language",
    "choose_language",
    "gettext",
    "language_choices",
    "ngettext",
    "speaking",
    "translate",
    "wording",
]

PAGE_DOMAINS = ("pages", "convention")
LANGUAGE_COOKIE = "hanoi_lang"

_active: ContextVar[str] = ContextVar("hanoi_page_language", default=SOURCE_LANGUAGE)


def choose_language(request: Request, user: Any | None, default: str) -> str:
    """The language to draw the page for ``request`` in (the order is the module's)."""
    chosen = getattr(user, "language", None)
    if chosen in LANGUAGES:
        return str(chosen)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return str(cookie)
    return negotiate(request.headers.get("accept-language")) or default


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Draw what is drawn inside in ``lang``."""
    token = _active.set(lang)
    try:
        yield
    finally:
        _active.reset(token)


def active_language() -> str:
    return _active.get()


def _translations() -> Any:
    return catalogues.translations(_active.get(), *PAGE_DOMAINS)


def gettext(message: str) -> str:
    """``message`` in the active language."""
    return str(_translations().gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return str(_translations().ngettext(singular, plural, n))


def pgettext(context: str, message: str) -> str:
    return str(_translations().pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return str(_translations().npgettext(context, singular, plural, n))


def translate(value: str | Wording | None) -> Markup | str:
    """A message id or :class:`Wording` in the active language, its values escaped.

    The ``t`` filter. A plain string is taken as a message id; a string that is no id in
    the catalogue (a name, a reference) comes back as it was.
    """
    if value is None:
        return ""
    if isinstance(value, Wording):
        text = escape(gettext(value.message))
        if not value.values:
            return text
        return text % {key: _shown(part) for key, part in value.values.items()}
    return gettext(value)


def _shown(value: object) -> object:
    """A value of a :class:`Wording` as the page shows it: a nested wording translated in
    its turn, a moment in UTC the locale's way, anything else as it is (then escaped)."""
    if isinstance(value, Wording):
        return translate(value)
    if isinstance(value, datetime):
        return utc_time(value)
    return value


# --- what templates use besides the gettext calls ---------------------------------------------


@functools.cache
def _endonym(lang: str) -> str:
    """``lang``'s name in itself, as the switcher offers it ("العربية", "中文", "Français")."""
    name = Locale.parse(format_locale(lang)).get_language_name(format_locale(lang)) or lang
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    """``(code, name in itself)`` of the six languages, for the switcher."""
    return [(lang, _endonym(lang)) for lang in LANGUAGES]


def utc_time(moment: datetime | None) -> str:
    """``moment`` as date and time to the minute in UTC, written the active locale's way."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    locale = Locale.parse(format_locale(_active.get()))
    # CLDR has no skeleton for date and time together: each part, joined the locale's way.
    day = format_skeleton("yMMMd", moment, tzinfo=UTC, locale=locale)
    time = format_skeleton("Hm", moment, tzinfo=UTC, locale=locale)
    joined = str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)
    return f"{joined} UTC"


def long_date(day: date | None) -> str:
    """``day`` written out the active locale's way ("8 December 2026", "2026年12月8日")."""
    if day is None:
        return ""
    return str(format_date(day, "long", locale=format_locale(_active.get())))


def number(value: int | float) -> str:
    """``value`` with the active locale's grouping and decimal marks."""
    return str(format_decimal(value, locale=format_locale(_active.get())))


def install(env: Any) -> None:
    """Give a Jinja2 environment the gettext calls, the language and the formatting filters."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.globals["page_lang"] = lambda: html_lang(_active.get())
    env.globals["page_dir"] = lambda: direction(_active.get())
    env.globals["active_language"] = active_language
    env.globals["language_choices"] = language_choices
    env.globals["unofficial_wording"] = lambda: any(
        catalogues.is_unofficial(domain, _active.get()) for domain in PAGE_DOMAINS
    )
    env.filters["t"] = translate
    env.filters["utc_time"] = utc_time
    env.filters["long_date"] = long_date
    env.filters["number"] = number
