"""XB's officer uploads a file from Chromium into the request's staging folder, going on
from where an earlier upload of the same file stopped, watches its progress bar reach
100 %, seals and delivers it, and sees the package's delivery progress without a reload."""

from __future__ import annotations

import hashlib
import os

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hanoi.audit.models import AuditEvent
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE
from tests.browser.a11y import assert_accessible
from tests.browser.test_exchange import sign_in
from tests.evidence.delivery import executed_mla, package_row
from tests.federation import Running

pytestmark = pytest.mark.browser

MiB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the page is the same on both engines; the API tests run on both


def test_officer_uploads_seals_and_delivers_in_the_browser(page: Page, running: Running) -> None:
    reference = executed_mla(running)
    base = running.federation.nodes["XB"].url
    content = os.urandom(10 * MiB + 7)  # two pieces of the page's 8 MiB
    sign_in(page, base, "officer")
    page.goto(f"{base}/requests/{reference}")
    expect(page.get_by_text("Uploading from the browser needs JavaScript")).to_be_hidden()

    # An earlier upload of the same file stopped after 1 MiB (the tab was closed, say).
    form = page.locator("#upload-form")
    token = form.get_attribute("data-csrf")
    start = f"{base}/requests/{reference}/staging/uploads"
    begun = page.request.post(
        start, form={"name": "mailbox.mbox", "size": str(len(content)), "csrf_token": token or ""}
    )
    assert begun.status == 201
    first = page.request.patch(
        f"{start}/{begun.json()['id']}",
        data=content[:MiB],
        headers={
            "Upload-Offset": "0",
            "Content-Type": CHUNK_CONTENT_TYPE,
            "X-CSRF-Token": token or "",
        },
    )
    assert first.status == 204

    page.get_by_label("Files to upload", exact=True).set_input_files(
        files=[{"name": "mailbox.mbox", "mimeType": "application/mbox", "buffer": content}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    bar = page.get_by_role("progressbar", name="mailbox.mbox")
    expect(bar).to_have_attribute("value", str(len(content)))
    expect(form).to_contain_text("uploaded")
    expect(page.locator("#upload-news")).to_have_text("mailbox.mbox uploaded and staged.")
    staged = page.get_by_role("table", name="Staged files")
    expect(staged.get_by_role("checkbox", name="mailbox.mbox")).to_be_checked()
    assert_accessible(page)  # the request page with its staging section

    asked: list[str] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Seal and deliver").click()
    expect(page.get_by_role("status").filter(has_text="Sealed and offered")).to_be_visible()
    assert asked == [
        "Seal mailbox.mbox and send to XA-CA (XA)? Once offered, a package cannot be called back."
    ]
    section = page.locator("section.package")
    expect(section).to_contain_text("sent to XA")
    # The page follows the delivery by itself: no reload.
    expect(section.locator(".package-status")).to_have_text("Delivered", timeout=60_000)
    expect(section.get_by_role("progressbar")).to_have_attribute("value", str(_total(running)))
    package_id = section.get_attribute("data-package")
    assert package_id is not None
    row = package_row(running.node("XB"), package_id)
    assert row is not None and row.status == "delivered"
    assert row.manifest.files[0].sha256 == hashlib.sha256(content).hexdigest()
    # The page went on with the upload under way rather than starting another.
    with running.node("XB").runtime.db.session() as session:
        started = session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "evidence.upload-started")
        ).all()
    assert len(started) == 1


def _total(running: Running) -> int:
    with running.node("XB").runtime.db.session() as session:
        row = session.query(EvidencePackage).one()
        return row.bytes_total
