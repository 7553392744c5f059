"""What a test asks of a page in another language: is any English wording left on it?"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from hanoi.i18n.catalogues import catalogue

# Shorter ids ("OK", "No") also occur inside names and codes; they are checked by the
# catalogue tests, not searched for in pages.
MIN_LENGTH = 4


@functools.cache
def english_wording(lang: str) -> tuple[str, ...]:
    """The pages' English message ids that ``lang`` translates differently, longest first,
    each with its placeholders cut out (they are filled on the page)."""
    pieces: set[str] = set()
    for domain in ("pages", "convention"):
        for message in catalogue(domain, lang):
            if not message.id or not message.string:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for english in ids:
                for piece in re.split(r"%\([a-z_]+\)[sd]|%[sd]|<[^>]+>", english):
                    piece = piece.strip(" .,:;·—()")
                    if (
                        len(piece) >= MIN_LENGTH
                        and re.search("[A-Za-z]{3}", piece)
                        and all(piece not in s for s in strings)
                    ):
                        pieces.add(piece)
    return tuple(sorted(pieces, key=len, reverse=True))


def visible_text(html: str) -> str:
    """The text a person sees or hears on ``html``: text nodes and read attributes, without
    scripts, styles and the language switcher's own names."""
    parts: list[str] = []

    class Reader(HTMLParser):
        skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            # The switcher names each language in itself (<option lang=...>): not wording.
            if tag in ("script", "style") or (tag == "option" and dict(attrs).get("lang")):
                self.skip += 1
            for name, value in attrs:
                if name in ("title", "alt", "placeholder", "aria-label") and value:
                    parts.append(value)

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style", "option") and self.skip:
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if not self.skip:
                parts.append(data)

    reader = Reader(convert_charrefs=True)
    reader.feed(html)
    return " ".join(" ".join(parts).split())


def english_left(html: str, lang: str) -> list[str]:
    """The English wording of the catalogues found on ``html`` drawn in ``lang``."""
    text = visible_text(html)
    return [piece for piece in english_wording(lang) if piece in text]
