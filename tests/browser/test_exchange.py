"""XB's duty officer handles a preservation request from XA in Chromium: from the 24/7
console to the request, acknowledge it, preserve the data for 90 days with the date field,
and see the status and the timeline follow; XA's node follows too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Dialog, Page, expect

from hanoi.db.base import utcnow
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from hanoi.web.i18n import long_date, speaking
from tests.browser.a11y import assert_accessible
from tests.federation import Running
from tests.web.test_request_pages import send, status_on, wait_delivered

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    """SQLite only: this test drives the pages, which are the same on both engines, and
    tests/web/test_request_pages.py already runs the same requests over HTTP on both; a
    second Chromium run on PostgreSQL would double the slowest test and add nothing."""
    return "sqlite"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Each role lands on its own page (tests/web/test_landing.py); all have the sign-out.
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_duty_officer_acknowledges_and_preserves(page: Page, running: Running) -> None:
    today = utcnow().date()
    ref = send(
        running, "XA", "duty", example_document("preservation", date_of_request=today.isoformat())
    )

    sign_in(page, running.federation.nodes["XB"].url, "duty")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="24/7 console").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("24/7 console")
    queue = page.get_by_role("table", name="Queue")
    expect(queue.get_by_role("row", name=ref)).to_contain_text("Acknowledge receipt")
    assert_accessible(page)
    queue.get_by_role("link", name=f"Act on {ref}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {ref}")
    expect(page.get_by_role("button", name="Refuse")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.get_by_role("status")).to_contain_text("Done: Acknowledge receipt")
    expect(page.locator(".lead .status")).to_have_text("acknowledged")
    expect(page.get_by_role("button", name="Acknowledge receipt")).to_have_count(0)

    until = (today + timedelta(days=90)).isoformat()
    preserve = page.get_by_role("group", name="Preserve the data")
    preserve.get_by_label("Preserve until (inclusive)").fill(until)
    preserve.get_by_label("Note (optional)").fill("Provider ordered to keep the data.")
    preserve.get_by_role("button", name="Preserve the data").click()

    expect(page.get_by_role("status")).to_contain_text("Done: Preserve the data")
    expect(page.locator(".lead .status")).to_have_text("preserved")
    preserved_until = page.locator("dl.summary dt:text-is('Preserved until') + dd")
    # Shown the page's way (English here), the ISO date kept for machines.
    with speaking("en"):
        expect(preserved_until).to_contain_text(long_date(today + timedelta(days=90)))
    expect(preserved_until.locator("time")).to_have_attribute("datetime", until)
    timeline = page.get_by_role("table", name="Everything that happened")
    expect(timeline.get_by_role("row", name="Acknowledge")).to_have_count(1)
    expect(timeline.get_by_role("row", name="Preserve")).to_contain_text(until)
    expect(timeline.get_by_role("row", name="Preserve")).to_contain_text("Provider ordered")
    expect(page.get_by_role("button", name="Extend the preservation")).to_be_visible()
    assert_accessible(page)

    wait_delivered(running, "XB", ref)
    assert status_on(running, "XA", ref) == "preserved"  # applied with the receipt it signed
    page.reload()
    expect(timeline.get_by_role("row", name="signed the receipt")).to_have_count(2)

    # Releasing cannot be undone: the page asks once more (the script's dialog stands in
    # for the "I confirm" box a page without JavaScript requires).
    release = page.get_by_role("group", name="Release the data")
    expect(release.get_by_label("I confirm: release the data")).to_be_hidden()
    release.get_by_label("Reason").fill("The investigation was closed.")
    asked: list[str] = []

    def answer(accept: bool) -> None:
        def on_dialog(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", on_dialog)

    answer(False)
    release.get_by_role("button", name="Release the data").click()
    assert asked and "cannot be undone" in asked[0]
    expect(page.locator(".lead .status")).to_have_text("preserved")
    answer(True)
    release.get_by_role("button", name="Release the data").click()
    expect(page.get_by_role("status")).to_contain_text("Done: Release the data")
    expect(page.locator(".lead .status")).to_have_text("released")
