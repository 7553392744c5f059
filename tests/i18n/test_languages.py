"""Choosing one of the six languages from a browser's Accept-Language header."""

from __future__ import annotations

import pytest

from hanoi.i18n.languages import UnsupportedLanguage, check_language, direction, negotiate


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("fr", "fr"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE, de;q=0.9, es;q=0.5, en;q=0.4", "es"),  # the best of ours, not the first
        ("en;q=0.5, zh-Hant;q=0.6", "zh"),
        ("ZH-cn", "zh"),
        ("ru;q=0, ar", "ar"),  # q=0: not this one
        ("es;q=0.8, fr;q=0.8", "es"),  # a tie goes to the earlier
        ("*", None),
        ("de, it", None),
        ("", None),
        (None, None),
        ("fr;q=abc, es", "es"),  # an unreadable quality counts as refused
        ("fr;q=2, es;q=0.1", "es"),  # out of range likewise
        (",,,;;;==", None),
        ("ar-EG;level=1;q=0.7, ru;q=0.6", "ar"),
    ],
)
def test_negotiation(header: str | None, chosen: str | None) -> None:
    assert negotiate(header) == chosen


def test_a_huge_header_is_read_only_up_to_a_bound() -> None:
    assert negotiate("de, " * 10_000 + "fr") is None
    assert negotiate("fr, " + "de, " * 10_000) == "fr"


def test_only_the_six_exactly_as_spelled() -> None:
    for lang in ("ar", "zh", "en", "fr", "ru", "es"):
        assert check_language(lang) == lang
    for bad in ("EN", "en-GB", "de", " fr", ""):
        with pytest.raises(UnsupportedLanguage, match="choose one of"):
            check_language(bad)


def test_only_arabic_is_right_to_left() -> None:
    assert [direction(lang) for lang in ("ar", "zh", "en", "fr", "ru", "es")] == [
        "rtl",
        "ltr",
        "ltr",
        "ltr",
        "ltr",
        "ltr",
    ]
