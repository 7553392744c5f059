"""An officer drafts a preservation request in Chromium: sign in, leave an Art. 42 element
out, see it flagged, complete it, render the letter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hanoi.cases.documents import document_model
from hanoi.demo import DEMO_PASSWORD
from hanoi.web.forms import fields_for
from tests.browser.a11y import assert_accessible
from tests.formdata import form_fields

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).parents[1] / "data" / "requests" / "preservation.json"


def _one_row_each(doc: dict[str, object]) -> dict[str, object]:
    """The form offers one blank row per list at first: keep the first item of each list."""
    out: dict[str, object] = {}
    for key, value in doc.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = value[:1]
        else:
            out[key] = value
    return out


def _fill(page: Page, name: str, value: str) -> None:
    field = page.locator(f'[name="{name}"]')
    if field.count() > 1:  # a set of checkboxes: tick the one with this value
        page.locator(f'[name="{name}"][value="{value}"]').check()
        return
    tag = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if tag.startswith("select"):
        field.select_option(value)
    elif tag == "input:checkbox":
        field.check()
    else:
        field.fill(value)


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("User name").fill("officer")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # An MLA officer lands on the requests; the drafts are one link away.
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests with other States")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My drafts").click()
    expect(page.get_by_role("heading", name="My drafts")).to_be_visible()


def test_wrong_password_is_refused(page: Page, node_url: str) -> None:
    page.goto(f"{node_url}/sign-in")
    page.get_by_label("User name").fill("officer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name, password or code.")
    assert_accessible(page)


def test_draft_a_preservation_request(page: Page, node_url: str) -> None:
    sign_in(page, node_url)
    page.get_by_role("link", name="Expedited preservation", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("preservation")
    assert_accessible(page)

    doc = _one_row_each(json.loads(EXAMPLE.read_text()))
    missing = doc.pop("necessity")
    for name, value in form_fields(fields_for(document_model("preservation")), doc):
        if name != "kind":
            _fill(page, name, value)
    page.get_by_role("button", name="Save and check").click()

    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    flagged = page.locator("#f-necessity-wrap .problem.error")
    expect(flagged).to_be_visible()
    expect(flagged).to_contain_text("Art. 42(3)(e)")
    expect(page.locator("#problem-list li.error")).to_have_count(1)
    assert_accessible(page)

    page.locator('[name="necessity"]').fill(str(missing))
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator(".check .ok")).to_contain_text("Complete")
    assert_accessible(page)

    # Offered first in a language the requested State accepts, named in the page's language.
    page.get_by_role("link", name="Letter in English").click()
    expect(page.locator("body")).to_contain_text("Article 42")
    expect(page.locator("body")).to_contain_text(str(doc["summary_of_facts"]))
    assert_accessible(page)


def test_form_rechecks_as_it_is_filled(page: Page, node_url: str) -> None:
    sign_in(page, node_url)
    page.goto(f"{node_url}/requests/new/preservation")
    live = page.locator("#live-check")
    page.locator('[name="necessity"]').fill("Logs are deleted after 30 days.")
    page.locator('[name="necessity"]').press("Tab")  # the check speaks once a field is left
    expect(live).to_contain_text("As typed:")
    expect(live.locator("li", has_text="necessary")).to_have_count(0)
    expect(live.locator("li", has_text="summary")).not_to_have_count(0)
    assert_accessible(page)
