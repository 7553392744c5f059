"""XA's officer finds the evidence XB delivered on the request's page in Chromium: the
package, its files and hashes, its verification, the encrypted package downloaded, and a
file downloaded decrypted."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.package import verify_package
from hanoi.evidence.service import directory_keys
from tests.browser.a11y import assert_accessible
from tests.browser.test_exchange import sign_in
from tests.evidence.delivery import deliver, executed_mla, package_row, seal_for, wait_for
from tests.federation import Running

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the pages are the same on both engines; delivery runs on both elsewhere


def test_officer_sees_and_downloads_delivered_evidence(
    page: Page, running: Running, tmp_path: Path
) -> None:
    reference = executed_mla(running)
    package_id = deliver(running, reference, seal_for(running, reference, tmp_path))
    xa = running.node("XA")
    wait_for(lambda: (package_row(xa, package_id) or EvidencePackage()).status == "delivered")
    received = package_row(xa, package_id)
    assert received is not None

    sign_in(page, running.federation.nodes["XA"].url, "officer")
    page.goto(f"{running.federation.nodes['XA'].url}/requests/{reference}")
    section = page.get_by_role("region", name=f"Package {package_id}: received from XB")
    expect(section).to_contain_text("Delivered")
    expect(section).to_contain_text("verified here")
    expect(section.get_by_role("progressbar")).to_have_attribute("value", str(received.bytes_total))
    files = section.get_by_role("table", name=f"Files of package {package_id}")
    for entry in received.manifest.files:
        expect(files.get_by_role("row", name=entry.name)).to_contain_text(entry.sha256)
    assert_accessible(page)  # the request's page with its evidence section

    with page.expect_download() as download_info:
        section.get_by_role("link", name="Download the encrypted package (.tar)").click()
    download = download_info.value
    assert download.suggested_filename == f"{reference}-{package_id}.tar"
    data = Path(download.path()).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp_path / "court", filter="data")
    assert xa.runtime.node is not None
    keys = directory_keys(xa.runtime.node.directory, "XB")
    unpacked = tmp_path / "court" / f"{reference}-{package_id}"
    assert verify_package(unpacked, keys_for=keys).manifest.package_id == package_id

    # Each file, decrypted: the link's accessible name says which file, and the browser
    # saves it under its own name, bit for bit the original.
    link = files.get_by_role("link", name="Download subscriber.txt (decrypted")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "subscriber.txt"
    original = (tmp_path / "pkg-files" / "subscriber.txt").read_bytes()
    assert Path(download.path()).read_bytes() == original
