"""The request letter: content per example document, translation coverage, escaping, PDF.

The example documents in ``tests/data/requests`` drive most tests, so a new instrument gets a
letter test by adding its example. PDF tests read the PDF back with poppler (``pdftotext``,
``pdftoppm``) rather than trusting that WeasyPrint wrote something sensible.
"""

from __future__ import annotations

import html
import json
import re
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

import hanoi.cases.render as render_module
from hanoi.cases.documents import KINDS, new_document, parse_document
from hanoi.cases.render import (
    SUPPORTED_LANGUAGES,
    RenderError,
    letter_messages,
    load_translations,
    render_html,
    render_pdf,
)
from hanoi.convention import Instrument, get_convention
from hanoi.convention.names import convention_messages

EXAMPLES = sorted((Path(__file__).parents[1] / "data" / "requests").glob("*.json"))
PACKAGE = Path(render_module.__file__).parent
CONVENTION = get_convention()
# The modules that hold the letter's own gettext calls.
LETTER_MODULES = ("render.py", "letter_view.py", "letter_language.py")


def _example_id(path: Path) -> str:
    return path.stem


def _load(path: Path):  # type: ignore[no-untyped-def]
    return parse_document(path.read_bytes())


def _instrument(path: Path) -> Instrument:
    return CONVENTION.instrument(json.loads(path.read_text("utf-8"))["kind"])


class _LetterText(HTMLParser):
    """Collects the text of section headings, definition terms and the subject line."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.terms: list[str] = []
        self.subject = ""
        self._stack: list[tuple[str, str]] = []
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "span" and "heading" in classes.split():
            self._stack.append(("heading", tag))
            self._buffer = []
        elif tag == "dt":
            self._stack.append(("term", tag))
            self._buffer = []
        elif tag == "h1":
            self._stack.append(("subject", tag))
            self._buffer = []
        elif tag == "span" and self._stack and self._stack[-1][0] == "term":
            # The article cited next to a term is not part of the label.
            self._stack.append(("skip", tag))

    def handle_endtag(self, tag: str) -> None:
        if not self._stack or self._stack[-1][1] != tag:
            return
        role, _ = self._stack.pop()
        text = " ".join("".join(self._buffer).split())
        if role == "heading":
            self.headings.append(text)
        elif role == "term":
            self.terms.append(text)
        elif role == "subject":
            self.subject = text

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1][0] != "skip":
            self._buffer.append(data)


def _parse(page: str) -> _LetterText:
    parser = _LetterText()
    parser.feed(page)
    return parser


# The Convention's title as the subject line cites it, per language (written out here, not
# read from the catalogues, so a wrong catalogue entry cannot make its own test pass).
CONVENTION_TITLE = {
    "en": "United Nations Convention against Cybercrime",
    "fr": "Convention des Nations Unies contre la cybercriminalité",
    "es": "Convención de las Naciones Unidas contra la Ciberdelincuencia",
    "ru": "Конвенции Организации Объединенных Наций против киберпреступности",
    "ar": "اتفاقية الأمم المتحدة لمكافحة الجريمة السيبرانية",
    "zh": "《联合国打击网络犯罪公约》",
}


def _subject(lang: str, instrument: Instrument) -> str:
    number = instrument.article.article
    if lang == "fr":
        return f"en vertu de l'article {number} de la {CONVENTION_TITLE['fr']}"
    if lang == "en":
        return f"under Article {number} of the {CONVENTION_TITLE['en']}"
    return CONVENTION_TITLE[lang]


def _subject_cites_article(lang: str, instrument: Instrument, subject: str) -> bool:
    number = str(instrument.article.article)
    return _subject(lang, instrument) in subject and number in subject


def _free_text(value: object) -> list[str]:
    """Sentences the officer typed (long strings), which must appear exactly as typed."""
    if isinstance(value, dict):
        return [text for key, v in value.items() if key != "kind" for text in _free_text(v)]
    if isinstance(value, list):
        return [text for v in value for text in _free_text(v)]
    if isinstance(value, str) and len(value) > 25:
        return [value]
    return []


def test_every_kind_has_an_example() -> None:
    assert sorted(p.stem for p in EXAMPLES) == sorted(KINDS)


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_letter_names_instrument_elements_and_officer_text(path: Path, lang: str) -> None:
    instrument = _instrument(path)
    page = render_html(_load(path), lang)
    letter = _parse(page)

    assert _subject_cites_article(lang, instrument, letter.subject)
    labels = set(letter.headings) | set(letter.terms)
    gettext = load_translations(lang).gettext
    for element in instrument.elements:
        assert gettext(element.label) in labels, element.id
        assert str(element.article) in page
    text = html.unescape(page)
    for typed in _free_text(json.loads(path.read_text("utf-8"))):
        assert typed in text


@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_french_letter_uses_french_headings(path: Path) -> None:
    instrument = _instrument(path)
    letter = _parse(render_html(_load(path), "fr"))
    labels = set(letter.headings) | set(letter.terms)
    for element in instrument.elements:
        assert element.label not in labels, f"English heading left in French: {element.label}"
    assert "Demande" in letter.subject or "Transmission" in letter.subject


@pytest.mark.parametrize("lang", [lang for lang in SUPPORTED_LANGUAGES if lang not in ("en", "fr")])
def test_translated_letter_leaves_no_english_heading(lang: str) -> None:
    for path in EXAMPLES:
        letter = _parse(render_html(_load(path), lang))
        labels = set(letter.headings) | set(letter.terms)
        for element in _instrument(path).elements:
            assert element.label not in labels, f"{lang}: English heading {element.label!r}"


def test_sections_follow_the_convention_element_order() -> None:
    path = next(p for p in EXAMPLES if p.stem == "preservation")
    letter = _parse(render_html(_load(path), "en"))
    top_level = [e.label for e in _instrument(path).elements if ".*." not in e.field]
    assert [h for h in letter.headings if h in top_level] == top_level


def test_free_text_is_escaped() -> None:
    path = next(p for p in EXAMPLES if p.stem == "preservation")
    doc = _load(path).model_copy(
        update={"summary_of_facts": "<script>alert('x')</script> & <b>bold</b>"}
    )
    page = render_html(doc, "en")
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


@pytest.mark.parametrize("lang", ["de", "EN", "", "fr_FR"])
def test_unsupported_language_is_refused(lang: str) -> None:
    doc = new_document("preservation")
    with pytest.raises(RenderError, match="unsupported letter language"):
        render_html(doc, lang)
    with pytest.raises(RenderError, match="unsupported letter language"):
        render_pdf(doc, lang)


def _sections(page: str) -> dict[str, str]:
    """Section heading -> the section's HTML."""
    blocks = page.split('<section class="element')[1:]
    return {_parse(block).headings[0]: block for block in blocks}


def test_a_draft_shows_every_gap() -> None:
    doc = new_document("preservation", requesting_state="XA", requested_state="XB")
    page = render_html(doc, "en")
    assert "not ready to be sent" in page
    sections = _sections(page)
    filled = {"requesting_state", "requested_state", "date_of_request"}
    for element in CONVENTION.instrument("preservation").elements:
        if ".*." in element.field:
            continue
        block = sections[element.label]
        if element.field in filled:
            assert "gap" not in block, element.id
        else:
            assert 'class="gap missing"' in block, element.id
    assert "Non fourni" in render_html(doc, "fr")


def test_a_complete_request_has_no_draft_warning() -> None:
    path = next(p for p in EXAMPLES if p.stem == "preservation")
    page = render_html(_load(path), "en")
    assert "not ready to be sent" not in page
    assert 'class="gap missing"' not in page


def test_conditional_element_that_does_not_apply_is_marked() -> None:
    path = next(p for p in EXAMPLES if p.stem == "confiscation")
    doc = _load(path).model_copy(
        update={"measure": "freezing", "order_reference": None, "third_party_protection": None}
    )
    page = render_html(doc, "en")
    assert page.count("Not applicable to this request") == 2
    assert "not ready to be sent" not in page


def test_notices_follow_the_flags() -> None:
    path = next(p for p in EXAMPLES if p.stem == "preservation")
    doc = _load(path)
    assert "Do not notify." in render_html(doc, "en")
    quiet = doc.model_copy(update={"do_not_notify_user": False, "urgent": False})
    page = render_html(quiet, "en")
    assert "Do not notify." not in page and "marking urgent" not in page


def test_letters_load_nothing_from_outside() -> None:
    path = next(p for p in EXAMPLES if p.stem == "preservation")
    page = render_html(_load(path), "en")
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import""", page)
    fetcher = render_module._offline_fetcher()
    for url in ("https://example.org/logo.png", "file:///etc/passwd", "http://127.0.0.1/"):
        with pytest.raises(ValueError, match="external resources"):
            fetcher(url)


# --- translations ----------------------------------------------------------------------------


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with _catalogue_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang)


def _fixed_messages() -> list[tuple[str | None, str | tuple[str, ...]]]:
    """Every message the template and render.py pass to gettext, as pybabel would find it."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
    found: list[tuple[str | None, str | tuple[str, ...]]] = []
    options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "silent": "false"}
    for template in sorted((PACKAGE / "templates").glob("*.html")):
        with template.open("rb") as fp:
            for _, message, _, context in extract(
                "jinja2.ext:babel_extract", fp, keywords=keywords, options=options
            ):
                found.append((context, message))
    for module in LETTER_MODULES:
        with (PACKAGE / module).open("rb") as fp:
            for _, message, _, context in extract("python", fp, keywords=keywords):
                found.append((context, message))
    return found


def test_fixed_strings_are_found() -> None:
    messages = [m for _, m in _fixed_messages()]
    assert "Not provided" in messages  # the extractor really reads the template
    assert "Yes" in messages  # ... and letter_view.py


@pytest.mark.parametrize("lang", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_catalogue_translates_every_label_and_fixed_string(lang: str) -> None:
    catalog = _catalog(lang)
    wanted = [*letter_messages(), *_fixed_messages()]
    untranslated = []
    for context, message in wanted:
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key, context=context)
        strings = entry.string if entry is not None else None
        ok = all(strings) if isinstance(strings, tuple) else bool(strings)
        if entry is None or not ok or entry.fuzzy:
            untranslated.append(key)
    assert not untranslated, f"{lang}: no translation for {untranslated}"


Key = tuple[str | None, str]


def _catalogue_path(lang: str) -> Path:
    return PACKAGE.parent / "i18n" / "locales" / lang / "LC_MESSAGES" / "letters.po"


def _expected_keys() -> set[Key]:
    """(context, message id) of every message a letter may look up: the template's and the
    modules' own (as pybabel extracts them) and the data's (``letter_messages``)."""
    wanted = [*letter_messages(), *_fixed_messages()]
    return {(c, m if isinstance(m, str) else m[0]) for c, m in wanted}


def catalogue_drift(path: Path, lang: str) -> tuple[list[Key], list[Key]]:
    """The messages the catalogue at ``path`` lacks, and those it has that no letter uses.

    English is the source language: its catalogue only rephrases, so it lacks messages
    by design, but it must not hold stale ones either.
    """
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    keys = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}
    expected = _expected_keys()

    def order(key: Key) -> tuple[str, str]:
        return (key[0] or "", key[1])

    missing = [] if lang == "en" else sorted(expected - keys, key=order)
    return missing, sorted(keys - expected, key=order)


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_catalogue_has_exactly_the_letter_messages(lang: str) -> None:
    missing, stale = catalogue_drift(_catalogue_path(lang), lang)
    assert not missing, f"{lang}: missing {missing}"
    assert not stale, f"{lang}: stale {stale}"


def test_completeness_check_catches_a_removed_and_a_stale_message(tmp_path: Path) -> None:
    source = _catalogue_path("es").read_text("utf-8")
    entry = 'msgid "Preservation period (days)"\nmsgstr "Período de conservación (días)"\n\n'
    assert entry in source
    copy = tmp_path / "messages.po"
    copy.write_text(source.replace(entry, ""), "utf-8")
    assert catalogue_drift(copy, "es") == ([(None, "Preservation period (days)")], [])

    copy.write_text(source + '\nmsgid "A label no letter uses"\nmsgstr "Una etiqueta"\n', "utf-8")
    assert catalogue_drift(copy, "es") == ([], [(None, "A label no letter uses")])

    copy.write_text(source.replace('msgctxt "subject"\nmsgid "Extradition"', 'msgid "Extradition"'))
    missing, stale = catalogue_drift(copy, "es")
    assert missing == [("subject", "Extradition")] and stale == [(None, "Extradition")]


def test_the_letters_catalogue_leaves_the_convention_names_to_the_convention_catalogue() -> None:
    """Element labels and offence names are the ``convention`` catalogue's messages
    (``tests/i18n/test_convention_names.py`` proves it complete), not the letter's own."""
    names = set(convention_messages())
    assert not names & set(letter_messages())
    for instrument in CONVENTION.instruments.values():
        for element in instrument.elements:
            assert (None, element.label) in names
    for offence in CONVENTION.offences:
        assert (None, offence.name) in names


@pytest.mark.parametrize("lang", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_a_letter_translates_every_element_label_and_offence_name(lang: str) -> None:
    """A letter reads its catalogues together (``letters`` first, then ``convention``), so
    the names of the Convention data still reach it in its language."""
    gettext = load_translations(lang).gettext
    names = [e.label for i in CONVENTION.instruments.values() for e in i.elements]
    names += [offence.name for offence in CONVENTION.offences]
    untranslated = sorted({name for name in names if gettext(name) == name})
    assert not untranslated, f"{lang}: no translation for {untranslated}"


def test_english_catalogue_phrases_every_subject() -> None:
    catalog = _catalog("en")
    for instrument in CONVENTION.instruments.values():
        entry = catalog.get(instrument.title, context="subject")
        assert entry is not None and entry.string, instrument.kind


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_placeholders_survive_translation(lang: str) -> None:
    catalog = _catalog(lang)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)s", string)) == wanted, message.id


# --- PDF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=_example_id)
def test_pdf_is_a_readable_french_letter(path: Path, tmp_path: Path) -> None:
    pdf = render_pdf(_load(path), "fr")
    assert pdf.startswith(b"%PDF")
    target = tmp_path / "letter.pdf"
    target.write_bytes(pdf)

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(target), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert _subject("fr", _instrument(path)) in " ".join(text.split())

    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(target), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    header = pages[0].read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    # A4 at 50 dpi is 413 x 585 pixels.
    assert abs(width - 413) <= 2 and abs(height - 585) <= 2
