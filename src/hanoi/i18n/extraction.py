"""Finding the messages of the web pages, and bringing a catalogue up to date with them.

The pages' messages are the literal strings passed to ``_``, ``gettext``, ``ngettext``,
``pgettext``, ``npgettext``, ``N_``, ``wording`` and ``nwording`` in ``hanoi/web`` (templates
and Python), found the way ``pybabel extract`` finds them (the wording pages show from data,
the checker's messages and the forms' hints, is added by ``hanoi.web.page_messages``, which
may read the domain). A few words the pages show are worded by the domain, which must not
import the web layer: status names, deadline labels, the timeline's sentences. Those
``hanoi/cases`` modules mark them with ``hanoi.i18n.marker``, and every ``hanoi/cases``
module that imports the marker is read too (and only those: the rest of the domain words
errors and letters, which are not page wording). The sources are read as files, so this
module imports nothing of the web layer or the domain. ``scripts/catalogues.py`` (``make
catalogues``) writes the result into each language's ``pages.po``;
``tests/i18n/test_page_catalogues.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract

__all__ = [
    "KEYWORDS",
    "MARKER_IMPORT",
    "READ_ATTRIBUTES",
    "Found",
    "page_sources",
    "source_messages",
    "sync",
]

KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "wording": None,
    "ngettext": (1, 2),
    "nwording": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "silent": "false"}


@dataclass(frozen=True)
class Found:
    """One message as found in a source: its id (a pair for plurals), context and places."""

    id: str | tuple[str, str]
    context: str | None
    places: tuple[tuple[str, int], ...]

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.id if isinstance(self.id, str) else self.id[0])


def _web() -> Traversable:
    return resources.files("hanoi").joinpath("web")


#: How a domain module says it marks page wording (``hanoi/i18n/marker.py``).
MARKER_IMPORT = "hanoi.i18n.marker"


def page_sources(web: Path | Traversable | None = None) -> list[tuple[str, Path]]:
    """``(method, path)`` of every source of page messages: the templates, the web layer's
    Python, then the ``cases`` modules beside ``web`` that import the marker."""
    root = Path(str(web or _web()))
    templates = sorted((root / "templates").rglob("*.html"))
    modules = sorted(root.rglob("*.py"))
    domain = sorted(
        path
        for path in (root.parent / "cases").glob("*.py")
        if MARKER_IMPORT in path.read_text("utf-8")
    )
    return [("jinja2.ext:babel_extract", t) for t in templates] + [
        ("python", m) for m in modules + domain
    ]


def source_messages(web: Path | Traversable | None = None) -> list[Found]:
    """Every message the sources of the pages spell out (templates, the web layer's Python,
    the marked ``hanoi/cases`` modules), each once, in the order first found. The wording
    the pages take from data is added by ``hanoi.web.page_messages``."""
    root = Path(str(web or _web()))
    found: dict[tuple[str | None, str], Found] = {}
    for method, path in page_sources(root):
        place = str(path.relative_to(root.parent))
        with path.open("rb") as fp:
            options = _JINJA_OPTIONS if method != "python" else {}
            for line, message, _comments, context in extract(
                method, fp, keywords=KEYWORDS, options=options
            ):
                if isinstance(message, tuple):
                    message = (str(message[0]), str(message[1]))
                item = Found(message, context, ((place, line),))
                earlier = found.get(item.key)
                if earlier is None:
                    found[item.key] = item
                else:
                    found[item.key] = Found(earlier.id, context, earlier.places + item.places)
    return list(found.values())


def sync(catalog: Catalog, messages: Iterable[Found], *, source_language: bool) -> Catalog:
    """``catalog`` with exactly ``messages``: translations kept, new ones added empty (none
    in the source language, whose catalogue only rephrases), stale ones dropped."""
    wanted = {m.key: m for m in messages}
    result = Catalog(
        locale=catalog.locale,
        domain=catalog.domain,
        header_comment=catalog.header_comment,
        project=catalog.project,
        version=catalog.version,
        fuzzy=False,
    )
    # The header's Plural-Forms, not Babel's own rule for the locale: the number of forms
    # written for each plural message comes from it (Babel's French rule has three).
    result.mime_headers = catalog.mime_headers
    for key, message in sorted(wanted.items(), key=lambda kv: (kv[0][1], kv[0][0] or "")):
        old = catalog.get(key[1], context=key[0])
        if old is not None and old.string:
            string = old.string
        elif source_language:
            continue
        else:
            string = ("",) * catalog.num_plurals if isinstance(message.id, tuple) else ""
        result.add(
            message.id,
            string,
            locations=[(place, line) for place, line in message.places],
            context=message.context,
        )
    return result


# --- text written outside the translation calls ---------------------------------------------

# Words a page may show as they are in every language: names and units, not wording.
UNTRANSLATED_WORDS = frozenset({"Hanoi", "UTC", "SHA-256", "JSON", "PDF", "HTML", "API", "ID"})
# Attributes whose values people read or hear (screen readers announce them).
READ_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "aria-description"})


def stray_text(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every piece of wording in the Jinja2 template ``source`` that is
    not inside a translation call: text between tags, and the values of attributes people
    read (``title``, ``alt``, ``placeholder``, ``aria-label``). Text with no letter in it
    (punctuation, numbers, arrows) and ``UNTRANSLATED_WORDS`` are allowed.

    The template is lexed by Jinja2; every expression, statement and comment (and the text
    of a ``{% trans %}`` block, which is a message) becomes a neutral mark, so what is left
    is the template's literal HTML, read by ``html.parser``.
    """
    from jinja2 import Environment  # the web layer's engine; imported here, used only here

    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # lexed, never rendered
    literal: list[str] = []
    # A {% trans %} block's text is the message (and its tags the translators'): not stray.
    in_trans, previous = False, ""
    for _line, kind, value in env.lex(source):
        if kind == "name" and previous == "block_begin" and value in ("trans", "endtrans"):
            in_trans = value == "trans"
        if kind != "whitespace":
            previous = kind
        literal.append(value if kind == "data" and not in_trans else _MARK)
    reader = _TextReader()
    reader.feed("".join(literal))
    reader.close()
    return reader.found


_MARK = "\u2063"  # INVISIBLE SEPARATOR: not a letter, so an expression never reads as wording


def _is_wording(text: str) -> bool:
    import unicodedata

    words = text.replace(_MARK, " ").split()
    return any(
        word.strip(".,:;()[]·—-/") not in UNTRANSLATED_WORDS
        and any(unicodedata.category(c).startswith("L") for c in word)
        for word in words
    )


def _readable(text: str) -> str:
    """``text`` on one line, each run of template code shown as ``{…}``."""
    import re

    return re.sub(f"{_MARK}+", "{…}", " ".join(text.split()))


class _TextReader:
    """Collects wording from HTML text and read attributes; skips scripts and styles."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self
        self.found: list[tuple[int, str]] = []

        class Parser(HTMLParser):
            skipping = 0

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag in ("script", "style"):
                    self.skipping += 1
                for name, value in attrs:
                    if name in READ_ATTRIBUTES and value and _is_wording(value):
                        outer.found.append((self.getpos()[0], f'{name}="{_readable(value)}"'))

            def handle_endtag(self, tag: str) -> None:
                if tag in ("script", "style") and self.skipping:
                    self.skipping -= 1

            def handle_data(self, data: str) -> None:
                if not self.skipping and _is_wording(data):
                    outer.found.append((self.getpos()[0], _readable(data)))

        self._parser = Parser(convert_charrefs=True)

    def feed(self, text: str) -> None:
        self._parser.feed(text)

    def close(self) -> None:
        self._parser.close()
