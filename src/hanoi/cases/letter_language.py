"""The languages a request letter is written in, and their catalogues.

Letters exist in the six official languages of the United Nations, in which the Convention
is authentic: Arabic, Chinese (Simplified, as the UN writes it), English, French, Russian and
Spanish. English is the source language of every label; the five others come from
``locales/<lang>/LC_MESSAGES/messages.po``, read at run time with Babel and compiled in
memory on first use, so installing the package is the only build step.

None of the translations is an authentic text of the Convention. A catalogue says so in its
header comment with the line ``# Status: unofficial translation``, and a letter in that
language then carries a discreet note saying its fixed wording is an unofficial translation.
A translator who has checked every message against the authentic text removes the line.

Dates and numbers are formatted by Babel in the letter's locale, Gregorian calendar and
Western digits in every language: Babel's default numbering for Arabic is ``latn``, which
is also what the Arabic documents of the United Nations use, and it keeps dates and amounts
in the same digits as the references and identifiers quoted around them.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from importlib import resources
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from hanoi.cases.errors import CasesError
from hanoi.errors import InvalidInput

__all__ = [
    "RTL_LANGUAGES",
    "SOURCE_LANGUAGE",
    "SUPPORTED_LANGUAGES",
    "LetterLanguage",
    "RenderError",
    "catalogue",
    "check_language",
    "format_locale",
    "html_lang",
    "is_unofficial",
    "load_translations",
]


class LetterLanguage(StrEnum):
    """Languages with a complete letter catalogue: the six UN languages."""

    AR = "ar"
    ZH = "zh"
    EN = "en"
    FR = "fr"
    RU = "ru"
    ES = "es"


SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(lang.value for lang in LetterLanguage)
"""Languages with a complete catalogue. A language joins this tuple only once its
catalogue covers every label, or a letter would silently mix languages."""

SOURCE_LANGUAGE = "en"
"""The language of the message ids; its catalogue holds only rephrasings."""

RTL_LANGUAGES = frozenset({"ar"})
"""Languages written right to left: the letter's root gets ``dir="rtl"``."""

DOMAIN = "messages"
UNOFFICIAL_MARK = "# Status: unofficial translation"
"""The header-comment line that marks a catalogue as not checked against an authentic text."""

# Babel locale used for dates and numbers per letter language. International correspondence
# in English writes dates day-month-year ("28 November 2026"), as British usage does;
# Chinese is the Simplified script of mainland China, as at the United Nations.
_FORMAT_LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}

# The ``lang`` attribute of the HTML root (BCP 47): the script subtag tells browsers and
# font matching which Han glyph forms to use.
_HTML_LANGS = {"zh": "zh-Hans"}


class RenderError(CasesError, InvalidInput):
    """A letter cannot be produced: unsupported language, or not a request document."""


def check_language(lang: str) -> None:
    """Refuse anything but one of ``SUPPORTED_LANGUAGES``, exactly as spelled there."""
    if lang not in SUPPORTED_LANGUAGES:
        raise RenderError(
            f"unsupported letter language {lang!r}; choose one of: {', '.join(SUPPORTED_LANGUAGES)}"
        )


def format_locale(lang: str) -> str:
    """The Babel locale for dates and numbers in a letter in ``lang``."""
    return _FORMAT_LOCALES.get(lang, lang)


def html_lang(lang: str) -> str:
    """The ``lang`` attribute of a letter in ``lang``."""
    return _HTML_LANGS.get(lang, lang)


@functools.cache
def catalogue(lang: str) -> Catalog:
    """The shipped ``.po`` catalogue of ``lang``, parsed."""
    check_language(lang)
    po = resources.files("hanoi.cases").joinpath("locales", lang, "LC_MESSAGES", "messages.po")
    with po.open("rb") as fp:
        return read_po(fp, locale=lang, domain=DOMAIN)


@functools.cache
def load_translations(lang: str) -> Translations:
    """The gettext catalogue for ``lang``, compiled in memory from the shipped ``.po``.

    Compiling at run time keeps ``pip install`` the only build step and means a translator
    who fixes a ``.po`` sees the fix on the next start, with no ``.mo`` to forget.
    Fuzzy entries are left out: an unreviewed guess must not reach another State.
    """
    compiled = BytesIO()
    write_mo(compiled, catalogue(lang), use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def is_unofficial(lang: str) -> bool:
    """Whether ``lang``'s catalogue is marked as an unofficial translation.

    Read from the catalogue itself (Babel keeps no custom header fields, so the mark is a
    header-comment line), so that checking a translation and removing the mark is one edit.
    """
    if lang == SOURCE_LANGUAGE:
        return False
    comment = catalogue(lang).header_comment or ""
    return any(line.strip() == UNOFFICIAL_MARK for line in comment.splitlines())
