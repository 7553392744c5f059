"""The public treaty-status page in Chromium: the chart drawn, the tables there, and axe-core
finding no serious or critical violation, in English and in Arabic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.a11y import assert_accessible

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("lang", "heading", "groups", "chart"),
    [
        (
            "en",
            "Status of the Convention",
            "Signatories, instruments and Parties by regional group",
            "Chart:",
        ),
        (
            "ar",
            "حالة الاتفاقية",
            "الدول الموقعة والصكوك والدول الأطراف حسب المجموعة الإقليمية",
            "رسم بياني:",
        ),
    ],
)
def test_the_status_page_shows_the_chart_and_the_tables_accessibly(
    browser_page_in: Page, node_url: str, lang: str, heading: str, groups: str, chart: str
) -> None:
    page = browser_page_in
    page.goto(f"{node_url}/treaty")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # The chart: an SVG image from the node, loaded and drawn.
    image = page.get_by_role("img", name=chart)
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    # The table by regional group, and the record State by State with its sources.
    table = page.get_by_role("table", name=groups)
    expect(table).to_be_visible()
    assert table.get_by_role("row").count() == 7  # a header and six groups (one "not listed")
    expect(page.locator("table.treaty-record tbody#state-AZ")).to_be_visible()
    expect(page.locator("table.treaty-record a.source").first).to_be_visible()
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    # The footer leads here from every page.
    expect(page.locator("footer a[href='/treaty']")).to_be_visible()
    assert_accessible(page)


@pytest.fixture
def browser_page_in(browser: Browser, lang: str) -> Iterator[Page]:
    """A page in a browser that asks for ``lang``."""
    context = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
