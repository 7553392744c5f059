"""The languages Hanoi speaks: the six official languages of the United Nations.

The Convention is authentic in Arabic, Chinese, English, French, Russian and Spanish, so
pages and letters exist in exactly these six. English is the source language: message ids
are English, and its catalogues only rephrase.

Dates and numbers are formatted by Babel in each language's locale (``format_locale``),
Gregorian calendar and Western digits throughout: Babel's default numbering for Arabic is
``latn``, as in the United Nations' Arabic documents, which keeps dates in the same digits
as the references and identifiers quoted beside them. Chinese is written in Simplified
characters, as at the United Nations.
"""

from __future__ import annotations

from enum import StrEnum

from hanoi.errors import InvalidInput

__all__ = [
    "LANGUAGES",
    "RTL_LANGUAGES",
    "SOURCE_LANGUAGE",
    "Language",
    "UnsupportedLanguage",
    "check_language",
    "direction",
    "format_locale",
    "html_lang",
    "negotiate",
]


class Language(StrEnum):
    """The six UN languages, in the UN's order (alphabetical in English)."""

    AR = "ar"
    ZH = "zh"
    EN = "en"
    FR = "fr"
    RU = "ru"
    ES = "es"


LANGUAGES: tuple[str, ...] = tuple(lang.value for lang in Language)
SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar"})

# International correspondence in English writes dates day-month-year ("28 November
# 2026"), as British usage does; Chinese is the Simplified script of mainland China.
_FORMAT_LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}

# The ``lang`` attribute (BCP 47): the script subtag tells browsers and font matching which
# Han glyph forms to use.
_HTML_LANGS = {"zh": "zh-Hans"}

# The longest Accept-Language header read; browsers send a few dozen bytes. Anything longer
# is read only up to here, so a hostile header costs nothing.
_MAX_ACCEPT_LANGUAGE = 512


class UnsupportedLanguage(InvalidInput):
    """A language other than the six was asked for."""

    title = "Unsupported language"


def check_language(lang: str) -> str:
    """``lang`` if it is one of ``LANGUAGES`` exactly as spelled there, else refused."""
    if lang not in LANGUAGES:
        raise UnsupportedLanguage(
            f"unsupported language {lang!r}; choose one of: {', '.join(LANGUAGES)}"
        )
    return lang


def direction(lang: str) -> str:
    """``rtl`` or ``ltr``: the ``dir`` attribute of a page or letter in ``lang``."""
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def format_locale(lang: str) -> str:
    """The Babel locale for dates and numbers in ``lang``."""
    return _FORMAT_LOCALES.get(lang, lang)


def html_lang(lang: str) -> str:
    """The ``lang`` attribute of a page or letter in ``lang``."""
    return _HTML_LANGS.get(lang, lang)


def negotiate(accept_language: str | None) -> str | None:
    """The first of the six languages an ``Accept-Language`` header prefers, or None.

    Ranges are taken by quality, highest first, then in the order given (RFC 9110, 12.5.4);
    a range matches by its primary subtag (``zh-CN``, ``zh-Hant``, ``es-419`` all choose
    that language, as Hanoi has one variety of each); ``q=0`` means "not this one"; ``*``
    is no preference. Malformed ranges are skipped, not refused: the header is a hint.
    """
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language[:_MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().split("-", 1)[0].lower()
        if primary not in LANGUAGES:
            continue
        quality = _quality(params)
        if quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def _quality(params: str) -> float:
    """The ``q`` of a range's parameters (1 when absent, 0 when unreadable)."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0
