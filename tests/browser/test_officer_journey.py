"""The officers' whole job in Chromium, with no command line: XA's officer drafts a request
for mutual legal assistance by picking from lists, XA's supervisor approves it and it leaves;
XB's officer receives it, executes it, uploads a file through the browser, seals it and
delivers it; XA's officer downloads the file, decrypted, and it is the original byte for
byte. axe-core checks every page on the way.

Each step leaves a screenshot in ``build/journey/`` (or ``$HANOI_SCREENSHOTS``): artefacts
of the run, not committed. ``make guide`` runs this test alone with the screenshots going
to ``docs/guide/``, where the officer's guide (``docs/officers-guide.md``) shows them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from hanoi.cases.documents import document_model
from hanoi.db.base import utcnow
from hanoi.demo.scenario import example_document
from hanoi.web.forms import fields_for
from tests.browser.a11y import assert_accessible
from tests.browser.test_drafting import _fill, _one_row_each
from tests.browser.test_exchange import sign_in
from tests.federation import Running
from tests.formdata import form_fields
from tests.web.test_request_pages import status_on, wait_delivered

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(
    os.environ.get("HANOI_SCREENSHOTS") or Path(__file__).parents[2] / "build" / "journey"
)
#: Generous: the other node's workers deliver in the background.
ACROSS = 60_000


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pages are the same on both engines; the API journey runs on both


def step(page: Page, name: str, at: Locator | None = None) -> None:
    """Check the whole page with axe-core, then keep a picture of what the officer sees:
    the top of the page, or the part ``at`` shows."""
    assert_accessible(page)
    if at is None:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        at.evaluate("e => e.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_the_officers_journey_from_draft_to_decrypted_evidence(
    page: Page, running: Running, tmp_path: Path
) -> None:
    xa = running.federation.nodes["XA"].url
    xb = running.federation.nodes["XB"].url
    page.set_viewport_size({"width": 1200, "height": 900})

    # 1. XA's officer drafts the request, picking the State, languages and offences.
    sign_in(page, xa, "officer")
    step(page, "01-requests")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My drafts").click()
    page.get_by_role("link", name="Mutual legal assistance", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("assistance")
    today = utcnow().date().isoformat()
    document = _one_row_each(example_document("mla", date_of_request=today))
    for name, value in form_fields(fields_for(document_model("mla")), document):
        if name != "kind":
            _fill(page, name, value)
    page.get_by_role("button", name="Save and check").click()
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    expect(page.locator(".check .ok")).to_contain_text("Complete")
    step(page, "02-draft-complete", at=page.locator(".check"))

    # 2. What leaves, to whom, before it leaves; MLA needs a supervisor first.
    page.get_by_role("link", name="Review and send…").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Borealis")
    step(page, "03-review-and-send")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for approval")
    reference = page.url.split("/requests/", 1)[1].split("?", 1)[0]
    sign_out(page)

    # 3. The supervisor approves; the request leaves for XB.
    sign_in(page, xa, "supervisor")
    page.goto(f"{xa}/requests")
    page.get_by_role("link", name=reference).first.click()
    expect(page.locator("#approve")).to_be_visible()
    step(page, "04-approve")
    page.locator("#approve").get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("Approved and sent")
    sign_out(page)
    wait_delivered(running, "XA", reference)

    # 4. XB's officer finds it in the inbox and carries it out.
    sign_in(page, xb, "officer")
    page.goto(f"{xb}/requests?box=inbox")
    page.get_by_role("link", name=reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {reference}")
    step(page, "05-received")
    for action in ("Acknowledge receipt", "Start execution"):
        page.get_by_role("button", name=action).click()
        expect(page.get_by_role("status")).to_contain_text(f"Done: {action}")
    assert status_on(running, "XB", reference) == "in_execution"

    # 5. A file uploaded through the browser, sealed for XA's authority and delivered.
    content = os.urandom(3 * 1024 * 1024 + 11)
    page.get_by_label("Files to upload", exact=True).set_input_files(
        files=[{"name": "hosting-records.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    bar = page.get_by_role("progressbar", name="hosting-records.csv")
    expect(bar).to_have_attribute("value", str(len(content)))
    staged = page.get_by_role("table", name="Staged files")
    expect(staged.get_by_role("checkbox", name="hosting-records.csv")).to_be_checked()
    step(page, "06-evidence-staged", at=page.get_by_role("heading", name="Evidence", exact=True))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Seal and deliver").click()
    expect(page.get_by_role("status").filter(has_text="Sealed and offered")).to_be_visible()
    sent = page.locator("section.package")
    # The page follows the delivery by itself, no reload: XA's node verified every byte.
    expect(sent.locator(".package-status")).to_have_text("Delivered", timeout=ACROSS)
    step(page, "07-evidence-delivered", at=sent)
    page.get_by_role("button", name="Mark as executed").click()
    expect(page.get_by_role("status")).to_contain_text("Done: Mark as executed")
    sign_out(page)
    wait_delivered(running, "XB", reference)

    # 6. XA's officer downloads the file, decrypted: the very bytes XB's officer uploaded.
    sign_in(page, xa, "officer")
    page.goto(f"{xa}/requests/{reference}")
    received = page.locator("section.package")
    expect(received).to_contain_text("verified here")
    step(page, "08-evidence-received", at=received)
    with page.expect_download() as download_info:
        received.get_by_role("link", name="Download hosting-records.csv").click()
    download = download_info.value
    assert download.suggested_filename == "hosting-records.csv"
    got = Path(download.path()).read_bytes()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(content).hexdigest()
    assert status_on(running, "XA", reference) == "executed"
