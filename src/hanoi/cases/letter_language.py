"""The languages a request letter is written in, and its catalogues.

Letters exist in the six UN languages (``hanoi.i18n.languages``). A letter's fixed wording
comes from the ``letters`` catalogue and the names of the Convention data (elements,
instruments, offences) from the ``convention`` catalogue, both under
``hanoi/i18n/locales/<lang>/LC_MESSAGES/`` and read at run time (``hanoi.i18n.catalogues``).
A letter whose ``letters`` catalogue is marked unofficial says so in a discreet note.
"""

from __future__ import annotations

from babel.support import Translations

from hanoi.cases.errors import CasesError
from hanoi.errors import InvalidInput
from hanoi.i18n import catalogues
from hanoi.i18n.languages import (
    LANGUAGES,
    RTL_LANGUAGES,
    SOURCE_LANGUAGE,
    Language,
    format_locale,
    html_lang,
)

__all__ = [
    "RTL_LANGUAGES",
    "SOURCE_LANGUAGE",
    "SUPPORTED_LANGUAGES",
    "LetterLanguage",
    "RenderError",
    "check_language",
    "format_locale",
    "html_lang",
    "is_unofficial",
    "load_translations",
]

LetterLanguage = Language
SUPPORTED_LANGUAGES = LANGUAGES
LETTER_DOMAINS = ("letters", "convention")
"""A letter's catalogues, the letter's own wording first (it wins where both have a name)."""


class RenderError(CasesError, InvalidInput):
    """A letter cannot be produced: unsupported language, or not a request document."""


def check_language(lang: str) -> None:
    """Refuse anything but one of ``SUPPORTED_LANGUAGES``, exactly as spelled there."""
    if lang not in SUPPORTED_LANGUAGES:
        raise RenderError(
            f"unsupported letter language {lang!r}; choose one of: {', '.join(SUPPORTED_LANGUAGES)}"
        )


def load_translations(lang: str) -> Translations:
    """The gettext catalogue a letter in ``lang`` is written with."""
    check_language(lang)
    return catalogues.translations(lang, *LETTER_DOMAINS)


def is_unofficial(lang: str) -> bool:
    """Whether a letter in ``lang`` must say its fixed wording is an unofficial translation."""
    return any(catalogues.is_unofficial(domain, lang) for domain in LETTER_DOMAINS)
