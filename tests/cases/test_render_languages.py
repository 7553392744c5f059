"""Letters in the six UN languages, printed: every script prints, Arabic reads right to left.

One PDF per language, of one small document whose free text mixes Latin, Cyrillic, Arabic
and Chinese as an officer might type it. Each PDF is read back with poppler: ``pdftotext``
must give back every typed string (so no glyph is missing or replaced), ``pdffonts`` must
show only embedded, subset outline fonts (no Type 3 fallback), and ``pdftoppm`` renders page
1, kept under ``build/letters/`` for a person to look at (not committed).

Comparing with ``pdftotext``: it rebuilds the logical order of each line from glyph
positions, and marks right-to-left runs with bidi embedding characters, which are dropped
here, as are spaces and line breaks (a Chinese sentence may wrap anywhere). Characters are
compared in order, so a reversed Arabic word fails. The Arabic strings below carry no
digits and no punctuation at their ends: a neutral character at the edge of a
right-to-left run inside a left-to-right line is drawn correctly, but pdftotext cannot tell
on which side of the run it belongs. Likewise pdftotext guesses one reading direction per
page from the majority of its characters: on a page of an Arabic letter, the left-to-right
mixed sentence comes back run by run in right-to-left order, so there each run of it is
checked on its own (the image shows it drawn in the right order).
"""

from __future__ import annotations

import re
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hanoi.cases.documents import parse_document
from hanoi.cases.letter_language import RTL_LANGUAGES, is_unofficial
from hanoi.cases.render import (
    SUPPORTED_LANGUAGES,
    RenderError,
    build_letter,
    load_translations,
    render_html,
    render_pdf,
)
from tests.cases.test_render import EXAMPLES, PACKAGE

ARTEFACTS = Path(__file__).parents[2] / "build" / "letters"

LATIN = "Phishing site operated from a rented server; logs show repeated log-ins."
CYRILLIC = "Иван Петров открыл счёт на подставное имя"
ARABIC = "نقل المشتبه به الأموال إلى حساب في الخارج"
CHINESE = "嫌疑人通过该账户收取了被盗资金"
MIXED = "Contact Иван Петров and 王小明 about محمد أحمد today"
MIXED_RUNS = ("Contact Иван Петров and 王小明 about", "محمد أحمد", "today")
AUTHORITY = "الهيئة الوطنية لمكافحة الجرائم السيبرانية"
TYPED = (LATIN, CYRILLIC, ARABIC, CHINESE, MIXED, AUTHORITY)

assert " ".join(MIXED_RUNS) == MIXED

# Labels every letter prints, looked up in each language's catalogue.
LABELS = ("Date of the request", "Signature and official seal")

_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\\s]")


def _squeeze(text: str) -> str:
    return _BIDI_MARKS.sub("", text)


def _document():  # type: ignore[no-untyped-def]
    """The preservation example, cut down to one offence and one data item, with free text
    in four scripts."""
    path = next(p for p in EXAMPLES if p.stem == "preservation")
    doc = parse_document(path.read_bytes())
    offence = doc.offences[0].model_copy(update={"description": CYRILLIC})
    item = doc.data_items[0].model_copy(update={"description": CHINESE})
    authority = doc.requesting_authority.model_copy(update={"name": AUTHORITY})
    return doc.model_copy(
        update={
            "offences": [offence],
            "data_items": [item],
            "summary_of_facts": LATIN,
            "link_to_offence": ARABIC,
            "necessity": MIXED,
            "requesting_authority": authority,
        }
    )


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdfs() -> dict[str, Path]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    doc = _document()
    paths = {}
    for lang in SUPPORTED_LANGUAGES:
        path = ARTEFACTS / f"letter-{lang}.pdf"
        path.write_bytes(render_pdf(doc, lang))
        paths[lang] = path
    return paths


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_pdf_gives_back_every_typed_string_and_the_language_labels(
    pdfs: dict[str, Path], lang: str
) -> None:
    text = _squeeze(_run("pdftotext", "-enc", "UTF-8", str(pdfs[lang]), "-"))
    for typed in TYPED:
        if typed == MIXED and lang in RTL_LANGUAGES:
            for run in MIXED_RUNS:
                assert _squeeze(run) in text, (lang, run)
            continue
        assert _squeeze(typed) in text, (lang, typed)
    gettext = load_translations(lang).gettext
    for label in LABELS:
        assert _squeeze(gettext(label)) in text, (lang, label)
    if lang != "en":
        assert gettext(LABELS[0]) != LABELS[0]


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_pdf_embeds_outline_fonts_for_every_script(pdfs: dict[str, Path], lang: str) -> None:
    rows = _run("pdffonts", str(pdfs[lang])).splitlines()[2:]
    assert rows, lang
    families = " ".join(row.split()[0] for row in rows)
    for family in ("Noto-Sans", "Noto-Naskh-Arabic", "Noto-Sans-CJK-SC"):
        assert family in families, (lang, families)
    for row in rows:
        assert "Type 3" not in row, row
        name, emb, sub = row.split()[0], *row.split()[-5:-3]
        assert name[6] == "+" and (emb, sub) == ("yes", "yes"), row


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_first_page_renders_to_an_a4_image(pdfs: dict[str, Path], lang: str) -> None:
    prefix = ARTEFACTS / f"letter-{lang}"
    _run(
        "pdftoppm",
        "-png",
        "-r",
        "50",
        "-f",
        "1",
        "-l",
        "1",
        "-singlefile",
        str(pdfs[lang]),
        str(prefix),
    )
    header = prefix.with_suffix(".png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert abs(width - 413) <= 2 and abs(height - 585) <= 2


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_direction_language_and_translation_status_of_the_letter(lang: str) -> None:
    letter = build_letter(_document(), lang)
    assert letter.direction == ("rtl" if lang in RTL_LANGUAGES else "ltr")
    assert letter.html_lang.split("-")[0] == lang
    assert letter.unofficial_translation == (lang != "en")
    assert letter.unofficial_translation == is_unofficial(lang)


# --- direction in the HTML -------------------------------------------------------------------


class _TypedValues(HTMLParser):
    """For each text node, the innermost element's tag and attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.found: list[tuple[str, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("meta", "br"):
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and self.stack:
            tag, attrs = self.stack[-1]
            self.found.append((data.strip(), tag, attrs))


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_root_carries_language_and_direction(lang: str) -> None:
    page = render_html(_document(), lang)
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    lang_attr = "zh-Hans" if lang == "zh" else lang
    assert f'<html lang="{lang_attr}" dir="{direction}">' in page


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_typed_value_takes_its_own_direction(lang: str) -> None:
    parser = _TypedValues()
    parser.feed(render_html(_document(), lang))
    seen = set()
    for text, tag, attrs in parser.found:
        if text not in TYPED or tag == "title":
            continue
        seen.add(text)
        # dir="auto" for browsers (a <bdi> is auto by definition), and the class that
        # gives WeasyPrint the same direction.
        assert attrs.get("dir") == "auto" or (tag == "bdi" and "dir" not in attrs), (text, tag)
        wanted = "dir-rtl" if text in (ARABIC, AUTHORITY) else "dir-ltr"
        assert wanted in (attrs.get("class") or "").split(), (text, attrs)
    assert seen == set(TYPED)


def test_references_telephone_and_email_stay_left_to_right() -> None:
    page = render_html(_document(), "ar")
    doc = _document()
    for value in (doc.requesting_authority.phone, doc.requesting_authority.email):
        assert f'<span class="dir-ltr" dir="ltr">{value}</span>' in page
    assert re.search(r'<span class="article dir-ltr" dir="ltr">Art\. 42\(3\)', page)
    assert f'<bdi class="dir-ltr">{doc.reference}</bdi>' in page


def test_stylesheet_has_only_logical_directions() -> None:
    css = (PACKAGE / "templates" / "letter.css").read_text("utf-8")
    assert not re.search(r"\b(left|right)\b", css, re.IGNORECASE)
    for family in ("Noto Sans", "Noto Naskh Arabic", "Noto Sans CJK SC"):
        assert f'"{family}"' in css


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_translated_letters_say_they_are_unofficial(lang: str) -> None:
    page = render_html(_document(), lang)
    assert ('class="unofficial-translation"' in page) == (lang != "en")


# --- bilingual letters -----------------------------------------------------------------------


def test_bilingual_pdf_prints_both_versions(tmp_path: Path) -> None:
    target = ARTEFACTS / "letter-en+ar.pdf"
    target.write_bytes(render_pdf(_document(), "en", bilingual="ar"))
    text = _squeeze(_run("pdftotext", "-enc", "UTF-8", str(target), "-"))
    for lang in ("en", "ar"):
        gettext = load_translations(lang).gettext
        for label in LABELS:
            assert _squeeze(gettext(label)) in text, (lang, label)
    for typed in (LATIN, CYRILLIC, ARABIC, CHINESE):
        assert text.count(_squeeze(typed)) == 2, typed  # once in each version


def test_bilingual_html_gives_each_version_its_language_and_direction() -> None:
    page = render_html(_document(), "ar", bilingual="ru")
    assert '<html lang="ar" dir="rtl">' in page
    first = page.index('<article class="sheet" lang="ar" dir="rtl">')
    second = page.index('<article class="sheet" lang="ru" dir="ltr">')
    assert first < second
    assert "باللغتين العربية والروسية" in page[first:second]
    assert "(арабский, русский)" in page[second:]
    assert page.count("<main>") == 1  # one main landmark around both versions


@pytest.mark.parametrize("second", ["en", "de", ""])
def test_bilingual_needs_another_supported_language(second: str) -> None:
    with pytest.raises(RenderError):
        render_html(_document(), "en", bilingual=second)
