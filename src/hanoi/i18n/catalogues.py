"""The translation catalogues, read from the shipped ``.po`` files at run time.

Each language has one catalogue per domain at ``locales/<lang>/LC_MESSAGES/<domain>.po``
(the domains are listed in ``DOMAINS``). They are parsed and compiled in memory on first
use: installing the package is the only build step, and a translator who fixes a ``.po``
sees the fix on the next start, with no ``.mo`` to forget. Fuzzy entries are left out: an
unreviewed guess must not reach an officer or another State.

None of the translations is an authentic text of the Convention. A catalogue says so in
its header comment with the line ``# Status: unofficial translation``; pages and letters in
that language then say, discreetly, that their wording is an unofficial translation. A
translator who has checked every message against the authentic text removes the line.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.abc import Traversable
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from hanoi.i18n.languages import SOURCE_LANGUAGE, check_language

__all__ = [
    "DOMAINS",
    "UNOFFICIAL_MARK",
    "catalogue",
    "catalogue_path",
    "is_unofficial",
    "translations",
]

DOMAINS = ("letters", "pages", "convention")
UNOFFICIAL_MARK = "# Status: unofficial translation"
"""The header-comment line that marks a catalogue as not checked against an authentic text."""


def catalogue_path(domain: str, lang: str) -> Traversable:
    """Where the shipped catalogue of ``domain`` in ``lang`` is."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown catalogue domain {domain!r}")
    check_language(lang)
    return resources.files("hanoi.i18n").joinpath("locales", lang, "LC_MESSAGES", f"{domain}.po")


@functools.cache
def catalogue(domain: str, lang: str) -> Catalog:
    """The shipped catalogue of ``domain`` in ``lang``, parsed."""
    with catalogue_path(domain, lang).open("rb") as fp:
        return read_po(fp, locale=lang, domain=domain)


@functools.cache
def translations(lang: str, *domains: str) -> Translations:
    """``lang``'s catalogues of ``domains`` as one gettext catalogue, compiled in memory.

    The first domain wins where two translate the same message, so a letter's own wording
    (``letters``) may phrase a name differently from the Convention data's (``convention``).
    """
    merged: Translations | None = None
    for domain in domains:
        compiled = BytesIO()
        write_mo(compiled, catalogue(domain, lang), use_fuzzy=False)
        compiled.seek(0)
        part = Translations(compiled, domain=domain)
        if merged is None:
            merged = part
        else:
            # Translations.merge lets the later catalogue win; keep the first one's entries.
            part.merge(merged)
            merged = part
    if merged is None:
        raise ValueError("translations() needs at least one domain")
    return merged


def is_unofficial(domain: str, lang: str) -> bool:
    """Whether ``lang``'s catalogue of ``domain`` is marked as an unofficial translation.

    Read from the catalogue itself (Babel keeps no custom header fields, so the mark is a
    header-comment line), so that checking a translation and removing the mark is one edit.
    """
    if lang == SOURCE_LANGUAGE:
        return False
    comment = catalogue(domain, lang).header_comment or ""
    return any(line.strip() == UNOFFICIAL_MARK for line in comment.splitlines())
