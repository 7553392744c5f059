"""The language of the pages: the user's setting, then the switcher's cookie, then the
browser's Accept-Language, then HANOI_DEFAULT_LANGUAGE; the switcher on every page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.audit.models import AuditEvent
from hanoi.config import ConfigError, load_settings
from hanoi.db import Database
from hanoi.web.app import create_app
from tests.web.conftest import csrf_of, sign_in

ROOT = re.compile(r'<html lang="([^"]+)" dir="(ltr|rtl)">')


def root_of(html: str) -> tuple[str, str]:
    match = ROOT.search(html)
    assert match, "page has no <html lang dir>"
    return match.group(1), match.group(2)


def switch(client: TestClient, lang: str, next_page: str = "/states") -> object:
    token = csrf_of(client.get("/sign-in").text)
    return client.post(
        "/language",
        data={"lang": lang, "back": next_page, "csrf_token": token},
        follow_redirects=False,
    )


def test_the_browser_language_is_followed_by_quality(client: TestClient) -> None:
    page = client.get("/sign-in", headers={"Accept-Language": "de;q=1, ru;q=0.4, fr-CA;q=0.8"})
    assert root_of(page.text) == ("fr", "ltr")
    assert page.headers["content-language"] == "fr"
    assert "Aller au contenu" in page.text and "Skip to content" not in page.text


def test_arabic_pages_are_right_to_left_and_chinese_names_its_script(client: TestClient) -> None:
    assert root_of(client.get("/sign-in", headers={"Accept-Language": "ar"}).text) == ("ar", "rtl")
    assert root_of(client.get("/sign-in", headers={"Accept-Language": "zh-CN"}).text) == (
        "zh-Hans",
        "ltr",
    )


def test_no_preference_gives_the_node_default(
    seeded_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANOI_DEFAULT_LANGUAGE", "es")
    settings = load_settings(home=tmp_path / "node", database_url=seeded_db.url)
    with TestClient(create_app(settings, database=seeded_db, secure_cookies=False)) as client:
        assert root_of(client.get("/sign-in").text)[0] == "es"
        assert root_of(client.get("/sign-in", headers={"Accept-Language": "*, de"}).text)[0] == "es"
        assert root_of(client.get("/sign-in", headers={"Accept-Language": "ru"}).text)[0] == "ru"


def test_a_default_that_is_not_one_of_the_six_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANOI_DEFAULT_LANGUAGE", "de")
    with pytest.raises(ConfigError, match="HANOI_DEFAULT_LANGUAGE"):
        load_settings(home=tmp_path)


def test_a_visitor_switches_with_a_cookie_that_beats_the_browser(client: TestClient) -> None:
    response = switch(client, "zh", "/sign-in?next=/drafts")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/sign-in?next=/drafts"  # type: ignore[attr-defined]
    page = client.get("/sign-in", headers={"Accept-Language": "fr"})
    assert root_of(page.text)[0] == "zh-Hans"
    assert "跳至内容" in page.text


def test_a_signed_in_user_keeps_the_choice_everywhere_and_it_is_audited(
    client: TestClient, app: object, seeded_db: Database, seed_password: str
) -> None:
    sign_in(client, "alice", seed_password)
    assert switch(client, "ru").headers["location"] == "/states"  # type: ignore[attr-defined]
    with seeded_db.session() as session:
        user = get_user_by_username(session, "alice")
        assert user is not None and user.language == "ru"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.language")
        ).one()
        assert json.loads(event.detail) == {"from": None, "to": "ru"}
    # Another browser, no cookie, asking for English: alice's setting wins.
    with TestClient(app, base_url="http://127.0.0.1") as other:  # type: ignore[arg-type]
        sign_in(other, "alice", seed_password)
        page = other.get("/states", headers={"Accept-Language": "en"})
        assert root_of(page.text)[0] == "ru"
        assert "Выйти" in page.text  # Sign out


@pytest.mark.parametrize("lang", ["de", "", "AR", "ar;", "en" * 100])
def test_a_language_that_is_not_one_of_the_six_is_refused(client: TestClient, lang: str) -> None:
    response = switch(client, lang)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "hanoi_lang" not in client.cookies


def test_the_switcher_never_sends_anyone_off_the_node(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert switch(client, "fr", target).headers["location"] == "/"  # type: ignore[attr-defined]


def test_the_switcher_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/sign-in")
    response = client.post("/language", data={"lang": "fr", "back": "/"}, follow_redirects=False)
    assert response.status_code == 403
    assert "hanoi_lang" not in client.cookies


def test_every_page_offers_the_six_languages_each_named_in_itself(client: TestClient) -> None:
    page = client.get("/sign-in").text
    for code, name in [
        ("ar", "العربية"),
        ("zh", "中文"),
        ("en", "English"),
        ("fr", "Français"),
        ("ru", "Русский"),
        ("es", "Español"),
    ]:
        assert f'<option value="{code}" lang="{code}"' in page and name in page


def test_api_problems_speak_the_language_asked_for_and_english_otherwise(
    client: TestClient,
) -> None:
    path = "/api/v1/requests"  # needs a token: 401 with a fixed detail
    english = client.get(path)
    assert english.status_code == 401
    assert english.json()["title"] == "API token required"
    assert "content-language" not in english.headers

    french = client.get(path, headers={"Accept-Language": "fr-FR, en;q=0.5"})
    assert french.status_code == 401  # the same decision, only its words change
    assert french.headers["content-language"] == "fr"
    body = french.json()
    assert body["status"] == 401
    assert body["title"] == "Jeton d'API requis" or (
        body["title"] != "API token required" and body["title"]
    )
    assert body["detail"] != english.json()["detail"]

    missing = client.get(
        "/api/v1/convention/instruments/telepathy", headers={"Accept-Language": "zh"}
    )
    assert missing.status_code == 404 and missing.headers["content-language"] == "zh"
    assert missing.json()["title"] != "Not found"
    # A language Hanoi does not speak: English, as if none were asked.
    german = client.get(path, headers={"Accept-Language": "de"})
    assert german.json() == english.json() and "content-language" not in german.headers
