"""Evidence delivered from the request page, over real HTTP against the running demo
federation: the staged files listed (a file dropped by hand, never a link), a browser upload
in pieces with the CSRF token in a header, "Seal and deliver", the package's progress as
JSON for the page's script; and who does not see or may not use any of it."""

from __future__ import annotations

import hashlib
import html
import os

from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE
from tests.evidence.delivery import executed_mla, package_row, wait_for
from tests.federation import Running
from tests.web.conftest import csrf_of
from tests.web.test_request_pages import signed_in

MiB = 1024 * 1024


def test_an_officer_uploads_seals_and_delivers_from_the_page(running: Running) -> None:
    reference = executed_mla(running)
    xb_node = running.node("XB").runtime.node
    assert xb_node is not None
    folder = xb_node.home / "staging" / reference
    folder.mkdir(parents=True)
    (folder / "report.pdf").write_bytes(b"%PDF-1.7 fictional report\n")
    (folder / "shadow").symlink_to("/etc/shadow")
    content = os.urandom(3 * MiB + 5)

    with signed_in(running, "XB", "officer") as browser:
        page = html.unescape(browser.get(f"/requests/{reference}").text)
        assert "Deliver evidence to XA-CA (XA)" in page
        assert 'value="report.pdf"' in page and "shadow" not in page
        assert "Uploading from the browser needs JavaScript" in page
        assert str(folder) in page  # where an operator places files by hand
        token = csrf_of(page)
        uploads = f"/requests/{reference}/staging/uploads"

        started = browser.post(
            uploads, data={"name": "mailbox.mbox", "size": str(len(content)), "csrf_token": token}
        )
        assert started.status_code == 201, started.text
        url = f"{uploads}/{started.json()['id']}"
        piece = {"Upload-Offset": "0", "Content-Type": CHUNK_CONTENT_TYPE}
        # A piece without the session's CSRF token in its header is refused; nothing written.
        assert browser.patch(url, content=content[:MiB], headers=piece).status_code == 403
        assert browser.head(url).headers["Upload-Offset"] == "0"
        for offset in range(0, len(content), 2 * MiB):
            sent = browser.patch(
                url,
                content=content[offset : offset + 2 * MiB],
                headers={**piece, "Upload-Offset": str(offset), "X-CSRF-Token": token},
            )
            assert sent.status_code == 204, sent.text
        assert sent.headers["Upload-Offset"] == str(len(content))
        bad = browser.post(uploads, data={"name": "../x", "size": "3", "csrf_token": token})
        assert bad.status_code == 422 and "separators" in bad.json()["detail"]

        page = html.unescape(browser.get(f"/requests/{reference}").text)
        assert 'value="mailbox.mbox"' in page and 'value="report.pdf"' in page
        nothing = browser.post(f"/requests/{reference}/staging/deliver", data={"csrf_token": token})
        assert nothing.status_code == 422
        assert "choose at least one staged file" in nothing.text

        delivered = browser.post(
            f"/requests/{reference}/staging/deliver",
            data={
                "csrf_token": token,
                "files": ["mailbox.mbox", "report.pdf"],
                "remove_staged": "yes",
            },
        )
        assert delivered.status_code == 303
        page = html.unescape(browser.get(delivered.headers["location"]).text)
        assert "Sealed and offered" in page and "Nothing staged yet." in page
        live = browser.get(f"/requests/{reference}/packages").json()
        [package] = live["packages"]
        assert f"Package {package['id']}: sent to XA" in page
        assert sorted(p.name for p in folder.iterdir()) == [".sealing.lock", "shadow"]

        xb = running.node("XB")
        wait_for(
            lambda: (package_row(xb, package["id"]) or EvidencePackage()).status == "delivered"
        )
        live = browser.get(f"/requests/{reference}/packages").json()
        assert live["in_transit"] is False
        assert live["packages"][0]["percent"] == 100
        sent_row = package_row(xb, package["id"])
        assert sent_row is not None
        assert sent_row.manifest.files[0].sha256 == hashlib.sha256(content).hexdigest()

    # The requesting State's officer sees the package coming, but no form to deliver.
    with signed_in(running, "XA", "officer") as requester:
        assert "Deliver evidence" not in requester.get(f"/requests/{reference}").text
    # The 24/7 point of the requested State is another authority: nothing to see or post.
    with signed_in(running, "XB", "duty") as stranger:
        token = csrf_of(stranger.get("/requests").text)
        refused = stranger.post(
            f"/requests/{reference}/staging/deliver",
            data={"csrf_token": token, "files": ["shadow"]},
        )
        assert refused.status_code == 404
        assert stranger.get(f"/requests/{reference}/packages").status_code == 404
