"""The drafting-and-checking pages in the six UN languages: sign-in, the drafts, the form
and its check, the letters it offers, the send page, a form shown back when its session
ended, and the error page; the live check and the letter API in step."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import hanoi
from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases import drafts
from hanoi.cases.documents import document_model
from hanoi.demo.scenario import example_document
from hanoi.errors import HanoiError
from hanoi.web.forms import fields_for
from hanoi.web.problems import ERROR_TITLES
from tests.exchange.conftest import Running
from tests.formdata import form_fields
from tests.i18n.scan import english_left
from tests.web.conftest import csrf_of
from tests.web.test_language import root_of
from tests.web.test_pages import EXAMPLES, draft_id_of, post_form
from tests.web.test_request_pages import signed_in

#: Arabic and Chinese, and one of French, Russian, Spanish, as the issue asks.
LANGUAGES = ("ar", "zh", "fr")
#: A date and time in each language's way (utc_time), as a pattern.
DATE_TIME = {
    "ar": r"\d{1,2} [\u0600-\u06FF]+ \d{4}، \d{2}:\d{2} UTC",
    "zh": r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} UTC",
    "fr": r"\d{1,2} [a-zéû]+\.? \d{4}, \d{2}:\d{2} UTC",
}


def in_lang(lang: str) -> dict[str, str]:
    return {"Accept-Language": lang}


def assert_speaks(html: str, lang: str) -> None:
    assert english_left(html, lang) == [], lang
    assert root_of(html)[1] == ("rtl" if lang == "ar" else "ltr")


def _saved_draft(alice: TestClient, fields: list[tuple[str, str]], kind: str = "mla") -> str:
    token = csrf_of(alice.get(f"/requests/new/{kind}").text)
    return draft_id_of(post_form(alice, f"/requests/new/{kind}", [("csrf_token", token), *fields]))


@pytest.fixture
def flawed(alice: TestClient) -> str:
    """A draft the check finds fault with: elements missing, the same State on both ends,
    a deadline past, a penalty too low for a serious crime."""
    return _saved_draft(
        alice,
        [
            ("reference", "XA-LANG-1"),
            ("requesting_state", "XB"),
            ("requested_state", "XB"),
            ("deadline", "2020-01-31"),
            ("offences.0.code", "UNCC-07"),
            ("offences.0.maximum_penalty_years", "1"),
        ],
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_pages_speak_the_language(client: TestClient, lang: str) -> None:
    page = client.get("/sign-in", headers=in_lang(lang))
    assert_speaks(page.text, lang)
    token = csrf_of(page.text)
    refused = client.post(
        "/sign-in",
        data={"username": "alice", "password": "not it at all", "csrf_token": token},
        headers=in_lang(lang),
    )
    assert refused.status_code == 401
    assert 'role="alert"' in refused.text
    assert_speaks(refused.text, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_drafts_and_the_form_speak_the_language(
    alice: TestClient, flawed: str, lang: str
) -> None:
    listing = alice.get("/drafts", headers=in_lang(lang)).text
    assert_speaks(listing, lang)
    assert re.search(DATE_TIME[lang], listing), "the time a draft was saved, the locale's way"

    blank = alice.get("/requests/new/preservation", headers=in_lang(lang)).text
    assert_speaks(blank, lang)

    page = alice.get(f"/drafts/{flawed}?saved=1", headers=in_lang(lang)).text
    assert_speaks(page, lang)
    assert 'id="problem-list"' in page
    # The rules' messages are worded in the page's language, their values filled in.
    rule_said = {
        "ar": "يجب أن تكون الدولة متلقية الطلب دولة غير الدولة الطالبة (XB).",
        "zh": "被请求国必须不同于请求国（XB）。",
        "fr": "L'État requis doit être un autre État que l'État requérant (XB).",
    }[lang]
    assert rule_said.replace("'", "&#39;") in page
    # The deadline past is said with its date written the language's way.
    deadline = {"ar": "31 يناير 2020", "zh": "2020年1月31日", "fr": "31 janvier 2020"}[lang]
    assert deadline in page and "2020-01-31" not in page.replace('value="2020-01-31"', "")
    # The script's words come from the page, in its language.
    text = re.search(r'<script type="application/json" id="page-text">(.*?)</script>', page, re.S)
    assert text is not None
    words = json.loads(text.group(1))
    assert words["complete"] != "As typed: complete." and "%(label)s" in words["search"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_and_shown_back_pages_speak_the_language(
    alice: TestClient, client: TestClient, flawed: str, lang: str
) -> None:
    missing = alice.get("/drafts/no-such-draft", headers=in_lang(lang))
    assert missing.status_code == 404
    assert_speaks(missing.text, lang)
    unknown = alice.get("/requests/new/no-such-kind", headers=in_lang(lang))
    assert unknown.status_code == 404
    assert_speaks(unknown.text, lang)

    # The session ends while the form is open: it comes back, filled in, in the language.
    form = alice.get(f"/drafts/{flawed}", headers=in_lang(lang)).text
    token = csrf_of(form)
    alice.cookies.clear()
    same_site = {**in_lang(lang), "sec-fetch-site": "same-origin"}
    shown_back = alice.post(
        f"/drafts/{flawed}",
        data={"csrf_token": token, "kind": "mla", "reference": "XA-LANG-2"},
        headers=same_site,
    )
    assert shown_back.status_code == 401 and "XA-LANG-2" in shown_back.text
    assert 'id="sign-in-again"' in shown_back.text
    assert_speaks(shown_back.text, lang)
    send_back = alice.post(
        f"/drafts/{flawed}/send", data={"csrf_token": token, "version": "1"}, headers=same_site
    )
    assert send_back.status_code == 401 and 'id="resume-form"' in send_back.text
    assert_speaks(send_back.text, lang)


def test_the_live_check_words_its_problems_in_the_page_language(alice: TestClient) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    checked = alice.post(
        "/requests/check-form/preservation",
        data={"csrf_token": token, "requesting_state": "XB", "requested_state": "XB"},
        headers=in_lang("fr"),
    ).json()
    same = next(p for p in checked["problems"] if p["rule"] == "states-differ")
    assert same["message"] == (
        "The requested State must be a different State from the requesting State (XB)."
    )  # the English message, as the API says it
    assert same["said"] == "L'État requis doit être un autre État que l'État requérant (XB)."


def _links(html: str) -> list[tuple[str, str]]:
    section = html[html.index('id="letters"') :]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', section)


def test_the_letter_is_offered_in_the_accepted_language_and_bilingually(
    alice: TestClient,
) -> None:
    document = json.loads((EXAMPLES / "preservation.json").read_text())
    assert document["requested_state"] == "XB"  # XB takes requests in English and Spanish
    document["language"] = "es"
    fields = form_fields(fields_for(document_model("preservation")), document)
    draft_id = _saved_draft(alice, fields, "preservation")
    links = _links(alice.get(f"/drafts/{draft_id}", headers=in_lang("fr")).text)
    base = f"/drafts/{draft_id}/letter"
    # First the request's own language, named in the page's; then English, also accepted.
    assert links[0] == (f"{base}?lang=es", "Lettre en espagnol")
    assert (f"{base}?lang=en", "Lettre en anglais") in links
    # Bilingual: the accepted language, then the officer's.
    assert (f"{base}?lang=es&amp;bilingual=fr", "Lettre bilingue : espagnol et français") in links
    letter = alice.get(f"{base}?lang=es&bilingual=fr")
    assert letter.status_code == 200
    assert re.findall(r'<article class="sheet" lang="([^"]+)"', letter.text) == ["es", "fr"]
    # On an English page: the same default, and the bilingual letter beside English.
    english = _links(alice.get(f"/drafts/{draft_id}", headers=in_lang("en")).text)
    assert english[0] == (f"{base}?lang=es", "Letter in Spanish")
    bilingual = [link for link in english if "bilingual=" in link[0] and "format=" not in link[0]]
    assert bilingual == [
        (f"{base}?lang=es&amp;bilingual=en", "Bilingual letter: Spanish and English")
    ]


def test_the_letter_api_serves_a_bilingual_letter_and_documents_it(alice: TestClient) -> None:
    body = (EXAMPLES / "preservation.json").read_bytes()
    response = alice.post("/api/v1/requests/render?lang=es&bilingual=ar", content=body)
    assert response.status_code == 200
    assert re.findall(r'<article class="sheet" lang="([^"]+)"', response.text) == ["es", "ar"]
    alone = alice.post("/api/v1/requests/render?lang=es", content=body)
    assert re.findall(r'<article class="sheet" lang="([^"]+)"', alone.text) == ["es"]
    refused = alice.post("/api/v1/requests/render?lang=es&bilingual=xx", content=body)
    assert refused.status_code == 422
    spec = alice.get("/api/openapi.json").json()
    parameters = spec["paths"]["/api/v1/requests/render"]["post"]["parameters"]
    bilingual = next(p for p in parameters if p["name"] == "bilingual")
    assert bilingual["in"] == "query" and "second language" in bilingual["description"]


def _error_classes() -> Iterator[type[HanoiError]]:
    for module in pkgutil.walk_packages(hanoi.__path__, "hanoi."):
        if module.name.startswith(("hanoi.cli.__main__", "hanoi.__main__")):
            continue
        importlib.import_module(module.name)
    pending: list[type[HanoiError]] = [HanoiError]
    while pending:
        cls = pending.pop()
        yield cls
        pending.extend(cls.__subclasses__())


def test_every_error_title_is_listed_for_the_catalogue() -> None:
    titles = {cls.title for cls in _error_classes()}
    assert len(titles) > 20
    assert titles <= set(ERROR_TITLES), sorted(titles - set(ERROR_TITLES))


def _sent_draft(running: Running, username: str) -> str:
    document: dict[str, Any] = example_document(
        "preservation", date_of_request=date.today().isoformat()
    )
    with running.node("XA").runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        return drafts.save_draft(session, user=user, kind="preservation", document=document).id


def test_the_send_page_speaks_the_language(running: Running) -> None:
    draft_id = _sent_draft(running, "duty")
    with signed_in(running, "XA", "duty") as duty:
        for lang in LANGUAGES:
            page: httpx.Response = duty.get(f"/drafts/{draft_id}/send", headers=in_lang(lang))
            assert page.status_code == 200, page.text
            assert "Borealis (XB)" in page.text
            assert_speaks(page.text, lang)
