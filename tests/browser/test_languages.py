"""The drafting-and-checking journey in Arabic and in Chinese, in Chromium.

An officer chooses the language (Arabic with the switcher on the sign-in page, Chinese by
the browser's own language), signs in, opens a new preservation request, leaves an Art. 42
element out, sees it flagged in the page's language, completes it and opens the letter.
On every page: no English wording of the catalogues left in the rendered text, axe-core
finds nothing serious, and in Arabic the layout runs right to left. Each step leaves a
screenshot in ``build/languages/`` (an artefact of the run, not committed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from hanoi.cases.documents import document_model
from hanoi.demo import DEMO_PASSWORD
from hanoi.web.forms import fields_for
from tests.browser.a11y import assert_accessible
from tests.browser.test_drafting import _fill, _one_row_each
from tests.formdata import form_fields
from tests.i18n.scan import english_left

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).parents[1] / "data" / "requests" / "preservation.json"
SCREENSHOTS = Path(__file__).parents[2] / "build" / "languages"


@pytest.fixture
def arabic(browser: Browser) -> Iterator[Page]:
    """A browser that asks for English: the officer switches to Arabic on the page."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def chinese(browser: Browser) -> Iterator[Page]:
    """A browser whose own language is Chinese (its Accept-Language says zh-CN)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def check_page(page: Page, lang: str, name: str) -> None:
    """The page as it is now: in ``lang`` throughout, accessible, photographed."""
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if lang == "zh" else lang)
    left = english_left(page.content(), lang)
    assert left == [], f"{name}: English left on the {lang} page: {left}"
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{lang}-{name}.png"), full_page=True)


def right_to_left(page: Page) -> None:
    """The page is laid out right to left: the brand at the right, the text aligned right."""
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    width = page.viewport_size["width"] if page.viewport_size else 1280
    brand = page.locator(".brand").bounding_box()
    assert brand is not None and brand["x"] > width / 2, brand
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"


def journey(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/sign-in")
    if lang == "ar":
        page.locator("#page-language").select_option("ar")
        page.locator("form.languages button").click()
        right_to_left(page)
    check_page(page, lang, "01-sign-in")
    page.locator("#username").fill("officer")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    expect(page.locator("h1")).to_be_visible()
    check_page(page, lang, "02-requests")

    page.goto(f"{base}/drafts")
    check_page(page, lang, "03-drafts")
    page.locator("a[href='/requests/new/preservation']").first.click()
    check_page(page, lang, "04-new-preservation")

    doc = _one_row_each(json.loads(EXAMPLE.read_text()))
    missing = doc.pop("necessity")
    for name, value in form_fields(fields_for(document_model("preservation")), doc):
        if name != "kind":
            _fill(page, name, value)
    page.locator("#draft button[type=submit]").first.click()
    flagged = page.locator("#f-necessity-wrap .problem.error")
    expect(flagged).to_be_visible()
    expect(flagged).to_contain_text("42")
    expect(page.locator("#problem-list li.error")).to_have_count(1)
    check_page(page, lang, "05-checked-one-missing")
    if lang == "ar":
        right_to_left(page)

    page.locator('[name="necessity"]').fill(str(missing))
    page.locator("#draft button[type=submit]").first.click()
    expect(page.locator(".check .ok")).to_be_visible()
    expect(page.locator("#problem-list li.error")).to_have_count(0)
    check_page(page, lang, "06-checked-complete")


def test_the_drafting_journey_in_arabic(arabic: Page, node_url: str) -> None:
    journey(arabic, node_url, "ar")


def test_the_drafting_journey_in_chinese(chinese: Page, node_url: str) -> None:
    journey(chinese, node_url, "zh")
