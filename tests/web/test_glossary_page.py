"""/glossary: the key terms side by side in the six languages, the page's language first."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from hanoi.i18n.glossary import load_glossary
from tests.i18n.scan import english_left


@pytest.mark.parametrize("lang", ["ar", "zh", "ru"])
def test_the_glossary_leads_with_the_page_language_and_names_every_term(
    client: TestClient, lang: str
) -> None:
    response = client.get("/glossary", headers={"Accept-Language": lang})
    assert response.status_code == 200  # public: terminology only, no sign-in
    html = response.text
    assert english_left(html, lang) == []
    glossary = load_glossary()
    for term in glossary.terms:
        row = re.search(rf'<tr id="term-{term.id}">(.*?)</tr>', html, re.S)
        assert row is not None, term.id
        cells = [
            unescape(cell)
            for cell in re.findall(
                r'<t[hd][^>]* lang="[^"]+"[^>]*>(.*?)</t[hd]>', row.group(1), re.S
            )
        ]
        # Six cells, the page's language first.
        assert len(cells) == 6
        assert cells[0].startswith(term.term(lang))
        for other in ("ar", "zh", "en", "fr", "ru", "es"):
            assert any(cell.startswith(term.term(other)) for cell in cells), (term.id, other)


def test_unofficial_renderings_are_marked_and_said_to_screen_readers(client: TestClient) -> None:
    html = client.get("/glossary", headers={"Accept-Language": "fr"}).text
    central = re.search(r'<tr id="term-central-authority">(.*?)</tr>', html, re.S)
    assert central is not None
    assert 'autorité centrale<sup aria-hidden="true">*</sup>' in central.group(1)
    assert "(traduction non officielle)" in central.group(1)


def test_arabic_cells_run_right_to_left_inside_any_page(client: TestClient) -> None:
    html = client.get("/glossary", headers={"Accept-Language": "en"}).text
    assert 'lang="ar" dir="rtl">السلطة المركزية' in html
    assert 'lang="zh-Hans" dir="ltr">中央机关' in html
