"""What a test asks of a page in another language: is any English wording left on it?"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from hanoi.i18n.catalogues import catalogue
from hanoi.i18n.extraction import READ_ATTRIBUTES

# Shorter ids ("OK", "No") also occur inside names and codes; they are checked by the
# catalogue tests, not searched for in pages.
MIN_LENGTH = 4


@functools.cache
def english_wording(lang: str) -> tuple[str, ...]:
    """The pages' English message ids, each with its placeholders cut out (they are filled
    on the page), longest first; without the pieces that are also words of ``lang`` (a
    piece some translation into ``lang`` contains: French writes "Note" and "Code" too)."""
    pieces: set[str] = set()
    translated: list[str] = []
    for domain in ("pages", "convention"):
        for message in catalogue(domain, lang):
            if not message.id or not message.string:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated.extend(strings)
            for english in ids:
                for piece in re.split(r"%\([a-z_]+\)[sd]|%[sd]|<[^>]+>", english):
                    piece = piece.strip(" .,:;·—()")
                    if len(piece) >= MIN_LENGTH and re.search("[A-Za-z]{3}", piece):
                        pieces.add(piece)
    corpus = "\n".join(translated)
    return tuple(
        sorted((p for p in pieces if not _as_word(p).search(corpus)), key=len, reverse=True)
    )


def _as_word(piece: str) -> re.Pattern[str]:
    """``piece`` as whole words: "sent" is not found inside "présenté"."""
    return re.compile(rf"(?<!\w){re.escape(piece)}(?!\w)")


def visible_text(html: str, lang: str | None = None) -> str:
    """The wording a person sees or hears on ``html``: text nodes and read attributes, without
    scripts and styles, without what is marked as written in another language than ``lang``
    (``<td lang="en">`` in a glossary, the switcher's names of the languages), and without
    data: ``<bdi>`` (names people typed), what is typed in a ``<textarea>``, ``<code>`` and
    ``translate="no"``."""
    parts: list[str] = []
    void = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.skip = 0
            self.foreign: list[str] = []  # the open elements written in another language

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("script", "style"):
                self.skip += 1
            found = dict(attrs)
            other = found.get("lang")
            if (
                (tag != "html" and other and tag not in void and not _same(other, lang))
                or tag in ("bdi", "code", "textarea")
                or found.get("translate") == "no"
            ):
                self.foreign.append(tag)
            if self.skip or self.foreign:
                return
            for name, value in attrs:
                if name in READ_ATTRIBUTES and value:
                    parts.append(value)

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style") and self.skip:
                self.skip -= 1
            if self.foreign and self.foreign[-1] == tag:
                self.foreign.pop()

        def handle_data(self, data: str) -> None:
            if not self.skip and not self.foreign:
                parts.append(data)

    reader = Reader()
    reader.feed(html)
    return " ".join(" ".join(parts).split())


def _same(tag: str, lang: str | None) -> bool:
    return lang is None or tag.split("-")[0].lower() == lang


def english_left(html: str, lang: str) -> list[str]:
    """The English wording of the catalogues found on ``html`` drawn in ``lang``."""
    text = visible_text(html, lang)
    return [piece for piece in english_wording(lang) if _as_word(piece).search(text)]
