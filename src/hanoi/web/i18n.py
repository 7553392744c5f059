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
Translations come from the ``pages`` and ``convention`` catalogues (``hanoi.i18n``), and
last from the ``letters`` catalogue: the request documents' field titles and choice values,
which a letter says too, are translated there once for both (the draft form's labels).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
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
    "Counted",
    "Later",
    "Wording",
    "active_language",
    "choose_language",
    "gettext",
    "language_choices",
    "language_name",
    "ngettext",
    "nwording",
    "speaking",
    "translate",
    "wording",
]

PAGE_DOMAINS = ("pages", "convention", "letters")
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


@dataclass(frozen=True)
class Counted:
    """A message with a number in it, worded in Python and written in the active language
    when shown: as a value of a :class:`Wording`, or with ``{{ counted }}`` in a template.
    ``%(num)s`` in it is the number the locale's way; ``values`` fill the rest."""

    singular: str
    plural: str
    n: int
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        text = ngettext(self.singular, self.plural, self.n)
        return text % {"num": number(self.n), **self.values}


def nwording(singular: str, plural: str, n: int, **values: object) -> Counted:
    """The plural counterpart of :func:`wording` (also a keyword the extraction finds)."""
    return Counted(singular, plural, n, values)


@dataclass(frozen=True)
class Later:
    """A value of a :class:`Wording` written when the page shows it, in its language:
    ``Later(utc_time, moment)``, ``Later(number, n)``, ``Later(gettext, title)``."""

    write: Callable[[Any], str]
    value: Any

    def __str__(self) -> str:
        return self.write(self.value)


def translate(value: str | Wording | Counted | Later | None) -> Markup | str:
    """A message id or :class:`Wording` in the active language, its values escaped.

    The ``t`` filter. A plain string is taken as a message id; a string that is no id in
    the catalogue (a name, a reference) comes back as it was; a :class:`Counted` or
    :class:`Later` is written in the active language. A value of a ``Wording`` that is itself
    a ``Wording`` (a label inside a sentence) is translated too; any other value is shown as
    it is.
    """
    if value is None or value == "":  # gettext("") would be the catalogue's header
        return ""
    if isinstance(value, Counted | Later):
        return escape(str(value))
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
    if isinstance(value, Counted | Later):
        return str(value)
    return value


# --- what templates use besides the gettext calls ---------------------------------------------


def isolate(value: object) -> Markup:
    """``value`` escaped inside ``<bdi>``, for a name put into a translated sentence: an
    Arabic authority in a French sentence (or the reverse) keeps its own direction."""
    return Markup("<bdi>%s</bdi>") % value


@functools.cache
def locale_of(lang: str) -> Locale:
    """The Babel locale that writes dates, numbers and names in ``lang`` (parsed once)."""
    return Locale.parse(format_locale(lang))


@functools.cache
def _endonym(lang: str) -> str:
    """``lang``'s name in itself, as the switcher offers it ("العربية", "中文", "Français")."""
    name = locale_of(lang).get_language_name() or lang
    return name[:1].upper() + name[1:]


def language_name(code: str) -> str:
    """The language ``code`` (ISO 639-1) named in the active language ("Arabic", "arabe",
    "阿拉伯文"); an unknown code as it is."""
    return str(locale_of(_active.get()).languages.get(code, code))


def language_choices() -> list[tuple[str, str]]:
    """``(code, name in itself)`` of the six languages, for the switcher."""
    return [(lang, _endonym(lang)) for lang in LANGUAGES]


def utc_time(moment: datetime | None, seconds: bool = False) -> str:
    """``moment`` as date and time to the minute (or ``seconds``) in UTC, written the active
    locale's way."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    locale = locale_of(_active.get())
    day = format_skeleton("yMMMd", moment, tzinfo=UTC, locale=locale)
    hour = format_skeleton("Hms" if seconds else "Hm", moment, tzinfo=UTC, locale=locale)
    # The locale's way of joining a date and a time ("{1}, {0}", "{1} {0}", "{1}، {0}").
    joined = str(locale.datetime_formats["medium"]).replace("'", "")
    return f"{joined.replace('{1}', day).replace('{0}', hour)} UTC"


def long_date(day: date | None) -> str:
    """``day`` written out the active locale's way ("8 December 2026", "2026年12月8日")."""
    if day is None:
        return ""
    return str(format_date(day, "long", locale=locale_of(_active.get())))


def number(value: int | float) -> str:
    """``value`` with the active locale's grouping and decimal marks."""
    return str(format_decimal(value, locale=locale_of(_active.get())))


def listed(values: Iterable[object]) -> str:
    """``values`` as one list the active locale's way ("English and French", "英语和法语",
    "الإنجليزية والفرنسية"); each value as it is (translate names before listing them)."""
    items = [str(v) for v in values]
    return str(format_list(items, locale=locale_of(_active.get()))) if items else ""


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
    env.globals["language_name"] = language_name
    env.filters["language_name"] = language_name
    env.globals["unofficial_wording"] = lambda: any(
        catalogues.is_unofficial(domain, _active.get()) for domain in PAGE_DOMAINS
    )
    env.filters["t"] = translate
    env.filters["bdi"] = isolate
    env.filters["utc_time"] = utc_time
    env.filters["long_date"] = long_date
    env.filters["number"] = number
    env.filters["listed"] = listed
