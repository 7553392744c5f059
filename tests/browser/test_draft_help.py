"""The draft form's script in Chromium: lists narrowed and searched, no errors before the
officer has begun, limits said before anything is cut or sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hanoi.cases.documents import LONG
from hanoi.convention import get_convention
from tests.browser.test_drafting import sign_in

pytestmark = pytest.mark.browser


def _visible_values(page: Page, name: str) -> list[str]:
    return page.locator(f'select[name="{name}"]').evaluate(
        "s => Array.from(s.options).filter(o => !o.hidden && o.value).map(o => o.value)"
    )


def test_languages_follow_the_requested_state_and_long_lists_are_searchable(
    page: Page, node_url: str
) -> None:
    sign_in(page, node_url)
    page.goto(f"{node_url}/requests/new/preservation")
    assert sorted(_visible_values(page, "language")) == ["en", "es", "fr"]
    page.locator('select[name="requested_state"]').select_option("XB")
    assert sorted(_visible_values(page, "language")) == ["en", "es"]
    expect(page.locator("#f-requested_state-about")).to_contain_text("Central authority:")

    offences = get_convention().offences
    search = page.get_by_label("Search: Offence code").first
    target = offences[-1]
    search.fill(target.name)
    assert _visible_values(page, "offences.0.code") == [target.code]
    search.fill("")
    assert len(_visible_values(page, "offences.0.code")) == len(offences)


def test_no_errors_until_a_field_is_left_and_then_labels(page: Page, node_url: str) -> None:
    sign_in(page, node_url)
    page.goto(f"{node_url}/requests/new/preservation")
    live = page.locator("#live-check")
    field = page.locator('[name="reference"]')
    field.fill("REF-1")  # typing alone does not start the check: no timer is even set
    expect(page.locator("#draft")).not_to_have_attribute("data-live", "on")
    expect(live).to_be_empty()
    expect(page.locator(".problem")).to_have_count(0)
    field.press("Tab")
    expect(page.locator("#draft")).to_have_attribute("data-live", "on")
    expect(live).to_contain_text("As typed:")
    expect(live).to_contain_text("Summary of the facts:")
    expect(live).not_to_contain_text("summary_of_facts")


def test_a_too_long_paste_is_kept_and_not_sent(page: Page, node_url: str) -> None:
    sign_in(page, node_url)
    page.goto(f"{node_url}/requests/new/preservation")
    text = "p" * (LONG + 5)
    summary = page.locator('[name="summary_of_facts"]')
    summary.fill(text)  # as a paste: no maxlength cuts it once the script runs
    expect(page.locator("#f-summary_of_facts-count")).to_contain_text("too long")
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#size-check")).to_contain_text("Summary of the facts")
    assert page.url.endswith("/requests/new/preservation")
    assert summary.input_value() == text
