"""XB's officer types a refusal in Chromium while the session ends behind the page's back:
the refusal is not done, the reason comes back on an accessible page, and signing in there
refuses in the same step."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from hanoi.db.base import utcnow
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from tests.browser.a11y import assert_accessible
from tests.browser.test_exchange import sign_in
from tests.federation import Running
from tests.web.test_request_pages import send, status_on
from tests.web.test_resume_forms import end_sessions

pytestmark = pytest.mark.browser

REASON = (
    "Our law bars this measure for the offence described: the conduct is not an offence "
    "here, and the data asked for are held under a professional secrecy the courts uphold. "
) * 6


@pytest.fixture
def backend() -> str:
    """SQLite only: the pages are the same on both engines, and
    tests/web/test_resume_forms.py plays the same story over HTTP on both."""
    return "sqlite"


def test_a_refusal_typed_as_the_session_ends_is_kept_and_done_after_signing_in(
    page: Page, running: Running
) -> None:
    today = utcnow().date().isoformat()
    ref = send(running, "XA", "officer", example_document("mla", date_of_request=today))
    base = running.federation.nodes["XB"].url
    sign_in(page, base, "officer")
    page.goto(f"{base}/requests/{ref}")
    refuse = page.get_by_role("group", name="Refuse")
    refuse.get_by_label("Ground").select_option("domestic-law-bar")
    refuse.get_by_label("Reason").fill(REASON)

    end_sessions(running, "XB", "officer")  # expired or revoked while the officer typed
    page.once("dialog", lambda dialog: Dialog.accept(dialog))
    refuse.get_by_role("button", name="Refuse").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Refuse: request {ref}")
    expect(page.get_by_role("alert").first).to_contain_text("Not done: your session ended")
    expect(page.get_by_label("Reason")).to_have_value(REASON)
    expect(page.get_by_label("I confirm: refuse")).to_be_checked()
    assert status_on(running, "XB", ref) == "received"
    assert_accessible(page)

    page.get_by_label("User name").fill("officer")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in and finish").click()
    expect(page.get_by_role("status")).to_contain_text("Done: Refuse")
    expect(page.locator(".lead .status")).to_have_text("refused")
    assert status_on(running, "XB", ref) == "refused"
    timeline = page.get_by_role("table", name="Everything that happened")
    expect(timeline.get_by_role("row", name="Refuse")).to_contain_text(REASON.strip()[:60])
