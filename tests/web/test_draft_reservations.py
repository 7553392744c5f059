"""The draft page shows a reservation of the requested State beside the offence it
touches: the demo's Borealis (XB) reserved under Art. 11(3), so a draft to XB with an
offence under Art. 11 carries the warning at that offence, in the page's language."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.web.test_draft_languages import _saved_draft, assert_speaks, in_lang

SAID = {
    "en": "XB made a reservation under Art. 11(3) on 2 February 2026 (source "
    "https://depositary.demo.invalid/treaty/XB): it may limit cooperation for this offence.",
    "ar": "أبدت XB تحفظًا بموجب Art. 11(3) في 2 فبراير 2026",
    "zh": "XB 于 2026年2月2日 根据 Art. 11(3) 作出保留",
    "fr": "XB a formulé une réserve au titre de Art. 11(3) le 2 février 2026",
}


def _beside(page: str, path: str) -> list[str]:
    """The texts of the problems the page shows at the field ``path``."""
    found = re.findall(
        rf'<p class="problem [a-z]+" data-path="{re.escape(path)}">(.*?)</p>', page, re.S
    )
    return [html.unescape(text) for text in found]


def _draft(alice: TestClient, requested: str) -> str:
    return _saved_draft(
        alice,
        [
            ("reference", "XA-RES-1"),
            ("requesting_state", "XA" if requested != "XA" else "XB"),
            ("requested_state", requested),
            ("offences.0.code", "UNCC-13"),
            ("offences.1.code", "UNCC-11"),
        ],
    )


@pytest.mark.parametrize("lang", ["en", "ar", "zh", "fr"])
def test_the_reservation_is_shown_beside_the_art_11_offence(alice: TestClient, lang: str) -> None:
    page = alice.get(f"/drafts/{_draft(alice, 'XB')}", headers=in_lang(lang)).text
    beside = _beside(page, "offences.1.code")
    assert any(SAID[lang] in text for text in beside), beside
    assert not any("11(3)" in text for text in _beside(page, "offences.0.code"))
    if lang != "en":
        assert_speaks(page, lang)


def test_a_draft_to_a_state_without_the_reservation_shows_none(alice: TestClient) -> None:
    page = alice.get(f"/drafts/{_draft(alice, 'XA')}").text
    assert "made a reservation" not in page
