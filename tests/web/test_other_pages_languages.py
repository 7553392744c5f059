"""The audit log, the custody ledger, the directory of States (a node's /states and
/states/CODE, and the Secretariat's /directory/) in the six languages: no English wording
left, right to left in Arabic, dates and numbers the locale's way, and each State named in
the page's language (a real ISO 3166 code by its name in that language, a fictional demo
State by its entry's own name)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from hanoi.config import load_settings
from hanoi.db import Database
from hanoi.directory.entry import Entry, validate_entry
from hanoi.directory.repository import SecretariatRepository, sign_entry
from hanoi.i18n.extraction import stray_text
from hanoi.web.app import create_app
from hanoi.web.i18n import speaking, utc_time
from hanoi.web.state_names import StateNames, state_name
from tests.directory.conftest import entry_bytes, entry_dict, state_key
from tests.federation import Running
from tests.i18n.scan import english_left
from tests.web.test_request_pages import signed_in

OTHER_LANGUAGES = ("ar", "zh", "es", "fr", "ru")


def real_state_entry(code: str, names: dict[str, str] | None = None) -> Entry:
    """The demo entry of XA made the entry of the real State ``code``."""
    data = entry_dict("XA")
    data.update(code=code, fictional=False, names=names or {})
    for authority in data["authorities"]:
        if authority.get("code"):
            authority["code"] = authority["code"].replace("XA-", f"{code}-")
    return validate_entry(data)


def test_a_real_state_is_named_in_each_language_a_fictional_one_by_its_entry() -> None:
    france = real_state_entry("FR")
    assert [state_name(france, lang) for lang in ("ar", "zh", "en", "fr", "ru", "es")] == [
        "فرنسا",
        "法国",
        "France",
        "France",
        "Франция",
        "Francia",
    ]
    # The entry's own name in a language comes first; the others are still the locale's.
    named = real_state_entry("FR", {"en": "French Republic"})
    assert state_name(named, "en") == "French Republic" and state_name(named, "zh") == "法国"
    # A code alone, no directory asked: the page's language when none is given.
    with speaking("zh"):
        assert state_name("VN") == "越南"
    # XA is user-assigned: its entry names it (French given, Chinese not), never the locale
    # (whose name for XA would be a pseudo-locale's).
    arcadia = validate_entry(entry_dict("XA"))
    assert state_name(arcadia, "fr") == "Arcadie" and state_name(arcadia, "zh") == "Arcadia"
    assert state_name("XQ", "fr") == "XQ"


def test_states_are_listed_the_locale_s_way() -> None:
    with speaking("fr"):
        assert str(StateNames(["DE", "ES"])) == "Allemagne et Espagne"
    with speaking("zh"):
        assert str(StateNames(["DE", "ES"])) == "德国和西班牙"


def test_dates_are_written_the_locale_s_way() -> None:
    moment = datetime(2026, 12, 8, 14, 5, 9, tzinfo=UTC)
    expected = {
        "en": "8 Dec 2026, 14:05 UTC",
        "fr": "8 déc. 2026, 14:05 UTC",
        "zh": "2026年12月8日 14:05 UTC",
        "ar": "8 ديسمبر 2026، 14:05 UTC",
        "ru": "8 дек. 2026\u202fг., 14:05 UTC",
        "es": "8 dic 2026, 14:05 UTC",
    }
    for lang, written in expected.items():
        with speaking(lang):
            assert utc_time(moment) == written, lang
    with speaking("fr"):
        assert utc_time(moment, seconds=True) == "8 déc. 2026, 14:05:09 UTC"


def test_a_trans_block_is_a_message_and_the_text_around_it_is_not() -> None:
    source = '<p>{% trans n=1 %}Kept <a href="x">{{ n }} link</a>{% endtrans %}</p><p>Left out</p>'
    assert stray_text(source) == [(1, "Left out")]


@pytest.fixture
def secretariat(tmp_path: Path) -> Iterator[TestClient]:
    """A Secretariat's node that delegated a fictional State (XA, published) and a real
    one (FR, not published yet)."""
    home = tmp_path / "unodc"
    settings = load_settings(home=home)
    settings.ensure_home()
    repo = SecretariatRepository.init(home / "secretariat")
    repo.add_state("XA", [state_key("XA").public_key()])
    repo.add_state("FR", [Ed25519PrivateKey.generate().public_key()])
    handed = tmp_path / "handed-XA"
    sign_entry(entry_bytes(entry_dict("XA")), state_key("XA"), version=1).write(handed)
    repo.publish([handed])
    db = Database(settings.database_url)
    try:
        app = create_app(settings, database=db, secure_cookies=False)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield client
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("lang", "france"), [("ar", "فرنسا"), ("zh", "法国"), ("fr", "France"), ("ru", "Франция")]
)
def test_the_directory_address_speaks_the_visitor_s_language(
    secretariat: TestClient, lang: str, france: str
) -> None:
    page = secretariat.get("/directory/", headers={"Accept-Language": lang})
    assert page.status_code == 200
    html = page.text
    assert english_left(html, lang) == []
    assert ('dir="rtl"' in html) == (lang == "ar")
    assert f"<bdi>{france}</bdi></td><td>FR</td>" in html
    assert "<td>XA</td><td>1</td>" in html  # the code and its published version, as before


def test_the_pages_of_the_log_and_the_directory_speak_the_user_s_language(
    running: Running,
) -> None:
    with signed_in(running, "XB", "auditor") as auditor:
        for lang in ("ar", "zh", "es"):
            headers = {"Accept-Language": lang}
            for path in ("/audit", "/ledger", "/states", "/states/XA"):
                page = auditor.get(path, headers=headers)
                assert page.status_code == 200, (lang, path)
                html = page.text
                # "auditor" is also the user's name, shown as it is on the log's rows.
                left = [piece for piece in english_left(html, lang) if piece != "auditor"]
                assert left == [], (lang, path)
                assert ('<html lang="ar" dir="rtl">' in html) == (lang == "ar"), (lang, path)
        # The audit log's times the locale's way: Chinese writes 年 and 月.
        audit = unescape(auditor.get("/audit", headers={"Accept-Language": "zh"}).text)
        assert "审计日志" in audit and "年" in audit and "UTC" in audit
        # The directory's dates in words, the State's name from its entry.
        states = unescape(auditor.get("/states", headers={"Accept-Language": "fr"}).text)
        assert "Répertoire des États" in states and "Arcadia" in states
        assert "État partie" in states
        xa = unescape(auditor.get("/states/XA", headers={"Accept-Language": "ru"}).text)
        assert "центральный орган" in xa and "heure locale" not in xa
        assert "по местному времени" in xa
        # The ledger says in words who countersigned, in the page's language.
        ledger = unescape(auditor.get("/ledger", headers={"Accept-Language": "fr"}).text)
        assert "Le journal de ce nœud contient" in ledger
        assert "tous les autres États du répertoire" in ledger
