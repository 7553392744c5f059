"""The formal request letter, as HTML or PDF, in the six official languages of the UN.

A letter is built in two steps. First the request document is turned into a small,
language-resolved *view* (``Letter``, built in ``letter_view.py``): one section per element
of the instrument, in the Convention's element order, every label already translated and
every value already formatted. Then a Jinja2 template draws that view (``letter_sheet.html``,
inside the page ``letter.html``; a bilingual letter holds two sheets, one per language);
WeasyPrint prints the very same HTML to PDF, so what an officer previews in the browser is
what the requested State receives. Languages and catalogues live in ``letter_language.py``.

The stylesheet names fonts for every script of the six languages (Noto, with DejaVu behind
it), so Chinese, Russian or Arabic typed into an English letter prints too; WeasyPrint
embeds the glyphs it uses, subset. An Arabic letter is drawn right to left.

Nothing here touches the network. Nodes may run offline and a letter must not leak that it
is being printed, so the PDF step refuses every URL except inline ``data:`` resources.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from babel import Locale
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel

from hanoi.cases.errors import CasesError
from hanoi.cases.letter_language import (
    SUPPORTED_LANGUAGES,
    LetterLanguage,
    RenderError,
    check_language,
    format_locale,
    load_translations,
)
from hanoi.cases.letter_view import Letter, build_letter, letter_messages
from hanoi.directory.states import StateDirectory
from hanoi.errors import TooLarge

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Letter",
    "LetterFormat",
    "LetterLanguage",
    "LetterTooLarge",
    "RenderError",
    "build_letter",
    "letter_messages",
    "load_translations",
    "render_html",
    "render_pdf",
]

TEMPLATE = "letter.html"
SHEET = "letter_sheet.html"


class LetterFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


class LetterTooLarge(CasesError, TooLarge):
    """The letter would be longer (``check == "pages"``) or take longer to lay out
    (``check == "time"``) than the node allows: the document must be shortened."""

    title = "Letter too large"

    def __init__(self, message: str, *, check: Literal["pages", "time"]) -> None:
        super().__init__(message)
        self.check = check


@functools.cache
def _environment(lang: str) -> Environment:
    """One Jinja2 environment per language, with that language's catalogue installed.

    ``autoescape`` is on: every value in a letter came from a person or another State.
    """
    env = Environment(
        loader=PackageLoader("hanoi.cases", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        load_translations(lang), newstyle=True
    )
    env.filters["isolate"] = _isolate
    env.filters["dir_class"] = dir_class
    return env


def dir_class(value: object) -> str:
    """``dir-ltr`` or ``dir-rtl`` by the first strong character of ``value``, or ``""``.

    This is the rule browsers apply to ``dir="auto"``. WeasyPrint does not implement
    ``dir="auto"`` (nor ``unicode-bidi``), so the template writes both: ``dir="auto"`` for
    browsers and this class, which letter.css turns into the same ``direction``, for print.
    """
    for char in str(value):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "dir-ltr"
        if kind in ("R", "AL"):
            return "dir-rtl"
    return ""


def _isolate(value: object) -> Markup:
    """``value`` escaped and bidi-isolated, for a name put inside a translated sentence:
    an Arabic authority in a French sentence (or the reverse) keeps its own direction and
    does not drag the punctuation around it."""
    return Markup('<bdi class="%s">%s</bdi>') % (dir_class(value), value)


# --- public API -----------------------------------------------------------------------------


def render_html(
    doc: BaseModel,
    lang: str,
    *,
    directory: StateDirectory | None = None,
    bilingual: str | None = None,
) -> str:
    """The letter for ``doc`` as a standalone HTML page (styles inline, no external links).

    ``directory`` names the addressee and checks the document; the demo fixture by default.
    With ``bilingual`` (another supported language), the page holds the letter in ``lang``
    and then the same letter in ``bilingual``, each version complete, drawn with its own
    catalogue, direction and locale, starting on a page of its own and saying at its top
    that the request is given in both languages.
    """
    check_language(lang)
    languages = [lang]
    if bilingual is not None:
        check_language(bilingual)
        if bilingual == lang:
            raise RenderError(f"a bilingual letter needs two languages; both are {lang!r}")
        languages.append(bilingual)
    letters = [build_letter(doc, language, directory=directory) for language in languages]
    sheets = []
    for letter in letters:
        versions = [_language_name(code, letter.lang) for code in languages]
        template = _environment(letter.lang).get_template(SHEET)
        html = template.render(letter=letter, versions=versions if bilingual else [])
        sheets.append(Markup(html))  # noqa: S704 - the output of our autoescaped template
    page = _environment(lang).get_template(TEMPLATE)
    return page.render(letter=letters[0], sheets=sheets)


def _language_name(code: str, in_lang: str) -> str:
    """``ar`` as a reader of ``in_lang`` names it ("Arabic", "arabe", "العربية"...)."""
    name = Locale.parse(code).get_display_name(Locale.parse(format_locale(in_lang)))
    return name or code


def render_pdf(
    doc: BaseModel,
    lang: str,
    *,
    directory: StateDirectory | None = None,
    max_pages: int | None = None,
    bilingual: str | None = None,
) -> bytes:
    """The letter for ``doc`` as an A4 PDF, printed from exactly the HTML of ``render_html``.

    With ``max_pages``, a letter laid out on more pages is refused (:class:`LetterTooLarge`)
    before its PDF is written. Layout itself cannot be stopped from inside: a caller that
    must bound its time runs this in a process it can kill (``cases/letter_process.py``).
    """
    html = render_html(doc, lang, directory=directory, bilingual=bilingual)
    from weasyprint import HTML  # imported late: loading pango costs time the CLI rarely needs

    document = HTML(string=html, url_fetcher=_offline_fetcher()).render()
    if max_pages is not None and len(document.pages) > max_pages:
        raise LetterTooLarge(
            f"the letter runs to {len(document.pages)} pages; at most {max_pages} are "
            "printed: shorten the request",
            check="pages",
        )
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf() without a target
        raise RenderError("the PDF writer returned no data")
    return pdf


def _offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves ``data:`` URLs and refuses everything else.

    The letter inlines all it needs, so any other URL is either a mistake in a template or
    something smuggled in; either way it must not reach the network or the file system.
    """
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"letters do not load external resources: {url[:80]!r}")
            return super().fetch(url, headers)

    return OfflineFetcher(allowed_protocols=("data",))
