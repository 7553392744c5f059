"""Bring every language's ``pages.po`` and ``convention.po`` up to date with their messages.

Run: .venv/bin/python scripts/catalogues.py  (or ``make catalogues``)

Messages found in ``src/hanoi/web`` (templates and Python, see ``hanoi.i18n.extraction``)
and the names in the Convention data (``hanoi.convention.names.convention_messages``) are
added to each catalogue with an empty translation, stale ones are dropped, and each
catalogue's header is kept. Then the untranslated messages are listed per language: the
tests fail until every one of them is translated. Catalogues are read at run time, so
there is nothing to compile.
"""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from hanoi.convention.names import convention_messages
from hanoi.files import replace_file
from hanoi.i18n.catalogues import catalogue_path
from hanoi.i18n.extraction import Found, sync
from hanoi.i18n.languages import LANGUAGES, SOURCE_LANGUAGE
from hanoi.web.page_messages import page_messages


def main() -> int:
    names = [Found(message, context, ()) for context, message in convention_messages()]
    domains = {"pages": page_messages(), "convention": names}
    missing_anywhere = 0
    for domain, messages in domains.items():
        print(f"{domain}: {len(messages)} messages")
        missing_anywhere += _update(domain, messages)
    return 1 if missing_anywhere else 0


def _update(domain: str, messages: list[Found]) -> int:
    """Write each language's ``domain`` catalogue with exactly ``messages``; how many
    translations are missing, all languages together."""
    missing_anywhere = 0
    for lang in LANGUAGES:
        path = Path(str(catalogue_path(domain, lang)))
        with path.open("rb") as fp:
            old = read_po(fp, locale=lang, domain=domain)
        new = sync(old, messages, source_language=lang == SOURCE_LANGUAGE)
        text = path.read_bytes()
        out = _header(text) + _po_bytes(new)
        if out != text:
            replace_file(path, out, mode=0o644)
        untranslated = [m.id for m in new if m.id and not _translated(m.string)]
        missing_anywhere += len(untranslated)
        print(f"  {lang}: {len(new)} entries, {len(untranslated)} untranslated")
    return missing_anywhere


def _translated(string: object) -> bool:
    if isinstance(string, tuple):
        return all(string)
    return bool(string)


def _header(po: bytes) -> bytes:
    """The catalogue's comments and header entry, as written by hand (kept byte for byte:
    Babel would add dates that change on every run)."""
    end = po.find(b"\n\n")
    return po if end < 0 else po[: end + 1]


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, omit_header=True, ignore_obsolete=True, no_location=True)
    return b"\n" + buffer.getvalue().lstrip(b"\n") if len(catalog) else b""


if __name__ == "__main__":
    sys.exit(main())
