"""In Chromium: XA's auditor reads the custody ledger page once XB and XC cosigned XA's
log, and XA's duty officer downloads a receipt with its proof from the request's page; the
download checks offline."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hanoi.demo import DEMO_PASSWORD
from hanoi.exchange.receipt_proofs import receipt_bundle, verify_bundle
from hanoi.ledger.keys import NodeLogKeys
from tests.browser.a11y import assert_accessible
from tests.browser.test_exchange import sign_in
from tests.evidence.delivery import wait_for
from tests.exchange.helpers import outbox, queue_request, wait_delivered
from tests.federation import Running

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pages are the same on both engines; the ledger runs on both elsewhere


def test_auditor_reads_the_ledger_and_an_officer_downloads_a_receipt(
    page: Page, running: Running, tmp_path: Path
) -> None:
    xa = running.node("XA")
    reference = queue_request(xa)
    [message] = wait_delivered(xa)
    wait_for(lambda: receipt_bundle(xa.runtime.db, message.message_id, quorum=2).proved, 60)
    base = running.federation.nodes["XA"].url
    keys = {c: NodeLogKeys.from_home(running.federation.nodes[c].home) for c in ("XA", "XB", "XC")}

    page.goto(f"{base}/sign-in")  # an auditor has no drafts page to land on: go on directly
    page.get_by_label("User name").fill("auditor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/ledger")
    expect(page.get_by_role("heading", name="Custody ledger")).to_be_visible()
    expect(page.locator("#verifier-key")).to_have_text(keys["XA"].log_verifier().key_string())
    summary = page.locator("#ledger-summary")
    # The latest signature may be newer than the one the proof used: at least one witness,
    # XB or XC, each named as its directory entry names it.
    expect(summary).to_contain_text(
        re.compile(r"other States? countersigned it \((Borealis|Cascadia)")
    )
    page.get_by_text("Technical detail", exact=False).click()  # the figures behind the words
    expect(page.locator("#witness-policy")).to_contain_text("every other State in the directory")
    latest = page.get_by_role("table", name="Each witness's latest cosignature of this log")
    for code in ("XB", "XC"):
        expect(latest.get_by_role("row", name=f"hanoi/{code}/witness")).to_be_visible()
    expect(page.get_by_text("No split view detected.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "duty")
    page.goto(f"{base}/requests/{reference}")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="receipt with proof").click()
    download = download_info.value
    assert download.suggested_filename == f"{reference}-receipt-{message.message_id}.tar"
    with tarfile.open(fileobj=io.BytesIO(Path(download.path()).read_bytes())) as archive:
        archive.extractall(tmp_path, filter="data")

    xb_node = running.node("XB").runtime.node
    assert xb_node is not None
    receiver_keys = [xb_node.signing_key.key.public_key()]
    checked = verify_bundle(
        tmp_path / f"receipt-{message.message_id}",
        keys["XA"].log_verifier(),
        [keys["XB"].witness_verifier(), keys["XC"].witness_verifier()],
        2,
        receiver_keys=receiver_keys,
    )
    assert checked.signature_checked and checked.detail["message"] == message.message_id
    assert (
        outbox(xa)[0].receipt
        == (tmp_path / f"receipt-{message.message_id}" / "receipt.jws").read_text()
    )
