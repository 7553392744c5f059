"""axe-core in Chromium over every page of the officer's journey, and over the checker itself.

The journey runs on XA and XB of the demo federation: sign-in (and its error), the drafts
list, the new-draft form of several kinds (and its live check), a draft saved with a problem
and a complete one, its letter, the send confirmation (also of a draft that fails the
check), the request awaiting approval as its drafter and as the supervisor sees it (also with
a return refused), the request sent, the requests list, the 24/7 console, the deadlines, the
States and one State, a request received on XB with its action forms, and the audit log and
the custody ledger as the auditor reads them. The evidence section is
checked in test_evidence.py, where a package is really delivered.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases import drafts
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from tests.browser.a11y import assert_accessible
from tests.browser.test_exchange import sign_in
from tests.federation import Running
from tests.web.test_request_pages import send

pytestmark = pytest.mark.browser

KINDS = ("preservation", "mla", "extradition", "police-information", "confiscation")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pages are the same on both engines


def _page(body: str) -> str:
    return f'<!doctype html><html lang="en"><head><title>t</title></head><body>{body}</body></html>'


def test_the_checker_fails_on_known_violations_and_names_them(page: Page) -> None:
    page.set_content(
        _page(
            '<main><h1>Known faults</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            '<input type="text" id="nameless">'
            '<p style="color:#bbb;background:#fff">Too faint to read</p></main>'
        )
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    report = str(failed.value)
    assert "image-alt (critical) at img" in report
    assert "label (critical) at #nameless" in report
    assert "color-contrast (serious) at p" in report


def test_the_checker_passes_a_clean_page_and_returns_lesser_findings(page: Page) -> None:
    page.set_content(_page('<main><h1>Fine</h1><img src="x.gif" alt="A dot"></main>'))
    assert assert_accessible(page) == []
    # No main landmark is a moderate finding: returned, not raised.
    page.set_content(_page("<h1>No landmark</h1>"))
    assert "landmark-one-main" in {v["id"] for v in assert_accessible(page)}


def _new_draft(running: Running, username: str, kind: str) -> str:
    document = example_document(kind, date_of_request=date.today().isoformat())
    with running.node("XA").runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        return drafts.save_draft(session, user=user, kind=kind, document=document).id


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_every_page_of_the_officers_journey_is_accessible(page: Page, running: Running) -> None:
    xa = running.federation.nodes["XA"].url
    xb = running.federation.nodes["XB"].url

    page.goto(f"{xa}/sign-in")
    assert_accessible(page)
    page.get_by_label("User name").fill("officer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)

    sign_in(page, xa, "officer")
    assert_accessible(page)  # no drafts yet
    for kind in KINDS:
        page.goto(f"{xa}/requests/new/{kind}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    page.locator('[name="summary_of_facts"]').fill("Ransomware on the ministry's servers.")
    page.locator('[name="summary_of_facts"]').press("Tab")  # the check speaks once it is left
    expect(page.locator("#live-check")).to_contain_text("As typed:")
    assert_accessible(page)  # with the live check filled in
    page.get_by_role("button", name="Save and check").click()
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    assert_accessible(page)  # a saved draft with its problems flagged
    page.goto(page.url.split("?", 1)[0] + "/send")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)  # the send confirmation of a draft that does not pass the check

    draft_id = _new_draft(running, "officer", "mla")
    page.goto(f"{xa}/drafts")
    assert_accessible(page)
    page.goto(f"{xa}/drafts/{draft_id}")
    assert_accessible(page)
    page.goto(f"{xa}/drafts/{draft_id}/letter")
    expect(page.locator("body")).to_contain_text("Article")
    assert assert_accessible(page) == []  # the whole letter inside its main landmark
    for lang in ("ar", "zh"):  # right to left; and a script with no spaces or case
        page.goto(f"{xa}/drafts/{draft_id}/letter?lang={lang}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        assert assert_accessible(page) == []
    page.goto(f"{xa}/drafts/{draft_id}/send")
    assert_accessible(page)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for approval")
    assert_accessible(page)  # awaiting approval, as its drafter sees it
    reference = page.url.split("/requests/", 1)[1].split("?", 1)[0]

    for path in ("/requests", "/console", "/deadlines", "/states", "/states/XB", "/glossary"):
        page.goto(f"{xa}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    _sign_out(page)

    sign_in(page, xa, "supervisor")
    page.goto(f"{xa}/requests/{reference}")
    expect(page.locator("#approve")).to_be_visible()
    assert_accessible(page)  # awaiting approval, with the approve and return forms
    page.locator("#return-comment").fill("  ")
    page.get_by_role("button", name="Return for changes").click()
    expect(page.get_by_role("alert")).to_contain_text("needs a reason")
    assert_accessible(page)  # the return refused, the reason asked for
    page.locator("#approve").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("Approved and sent")
    assert_accessible(page)
    _sign_out(page)

    today = date.today().isoformat()
    received = send(running, "XA", "duty", example_document("preservation", date_of_request=today))
    sign_in(page, xb, "duty")
    for path in (f"/requests/{received}", "/requests?box=inbox", "/console", "/deadlines"):
        page.goto(f"{xb}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    _sign_out(page)

    page.goto(f"{xa}/sign-in")  # an auditor has no drafts page to land on
    page.get_by_label("User name").fill("auditor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in ("/audit", "/ledger"):
        page.goto(f"{xa}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
