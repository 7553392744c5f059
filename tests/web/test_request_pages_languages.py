"""The request pages in the six UN languages (issue 14): a request received and one sent,
the listings, the 24/7 console and the deadlines dashboard, drawn for Arabic, Chinese and
French or Spanish browsers, leave no English wording of the catalogues on the page; Arabic
pages run right to left; every date is the locale's own, its ISO form kept for machines.

Over real HTTP against the running demo federation, like tests/web/test_request_pages.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest

from hanoi.db.base import utcnow
from hanoi.demo.scenario import example_document
from hanoi.evidence.models import EvidencePackage
from hanoi.web.i18n import speaking, utc_time
from tests.evidence.delivery import executed_mla, package_row, wait_for
from tests.federation import Running
from tests.i18n.scan import english_left, visible_text
from tests.web.conftest import csrf_of
from tests.web.test_request_pages import post_action, received_ago, send, signed_in

TIME = re.compile(r'<time datetime="([^"]+)">([^<]*)</time>')
ROOT = re.compile(r'<html lang="([^"]+)" dir="(ltr|rtl)">')


def drawn_in(client: httpx.Client, path: str, lang: str) -> str:
    """``path`` as a browser asking for ``lang`` gets it, checked for what every page in
    that language owes: its language and direction, dates the locale's way, no English."""
    page = client.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200, (path, page.status_code)
    root = ROOT.search(page.text)
    assert root is not None
    assert root.group(2) == ("rtl" if lang == "ar" else "ltr"), path
    assert page.headers["content-language"] == lang
    times = TIME.findall(page.text)
    assert times, f"{path} shows no date"
    with speaking(lang):
        for iso, shown in times:
            if "T" in iso:  # a moment; a day alone is written as a long date
                assert shown == utc_time(datetime.fromisoformat(iso)), (path, iso, shown)
    left = english_left(wording_of(page.text), lang)
    assert left == [], (path, lang, {piece: _around(page.text, piece) for piece in left})
    return page.text


def wording_of(html: str) -> str:
    """``html`` without what people typed or machines recorded, which stays as it was
    written: the request document as the requesting State drew it up (its field labels are
    the drafting form's, translated with it), the free texts (``class="text"``), the names
    of people and authorities (``<bdi>``) and the technical detail of the timeline. What
    is left is the page's own wording."""
    html = _without(html, '<dl class="doc">', "dl")
    html = re.sub(r'<span class="text"[^>]*>.*?</span>', "", html, flags=re.S)
    html = re.sub(r"<bdi>.*?</bdi>", "", html, flags=re.S)  # names people chose
    return re.sub(r"<details>.*?</details>", "", html, flags=re.S)


def _without(html: str, opening: str, tag: str) -> str:
    """``html`` without each element that starts with ``opening`` (nested ``tag``s kept
    inside it)."""
    while (start := html.find(opening)) >= 0:
        depth, at = 0, start
        for found in re.finditer(rf"<(/?){tag}\b", html[start:]):
            depth += -1 if found.group(1) else 1
            if depth == 0:
                at = start + found.end()
                break
        html = html[:start] + html[html.index(">", at) + 1 :]
    return html


def _around(html: str, piece: str) -> str:
    """Where ``piece`` shows on the page, to say which wording was left in English."""
    text = visible_text(wording_of(html))
    at = text.find(piece)
    return text[max(0, at - 60) : at + len(piece) + 60]


@pytest.mark.parametrize("third", ["fr", "es"])
def test_the_request_pages_speak_the_browsers_language(running: Running, third: str) -> None:
    today = utcnow().date().isoformat()
    document = example_document("preservation", date_of_request=today, urgent=True)
    overdue = send(running, "XA", "duty", document)
    reminded = send(running, "XA", "duty", document)
    received_ago(running, "XB", overdue, timedelta(hours=5))
    received_ago(running, "XB", reminded, timedelta(hours=3, minutes=30))

    with signed_in(running, "XB", "duty") as duty:
        assert post_action(duty, reminded, action="acknowledge").status_code == 303
        for lang in ("ar", "zh", third):
            listing = drawn_in(duty, "/requests", lang)
            assert overdue in listing and reminded in listing
            drawn_in(duty, "/requests?box=inbox", lang)
            console = drawn_in(duty, "/console", lang)
            assert 'id="page-text"' in console  # the script's words, in the page's language
            deadlines = drawn_in(duty, "/deadlines", lang)
            assert overdue in deadlines
            received = drawn_in(duty, f"/requests/{overdue}", lang)
            assert 'name="action" value="acknowledge"' in received
            drawn_in(duty, f"/requests/{reminded}?done=acknowledge", lang)

        # Refused before anything changes: why, in the page's language.
        token = csrf_of(duty.get(f"/requests/{overdue}").text)
        slip = duty.post(
            f"/requests/{overdue}/conditions",
            data={"csrf_token": token, "kind": "confidentiality", "text": "سري", "to": "XC"},
            headers={"Accept-Language": "ar"},
        )
        assert slip.status_code == 422 and "شرط السرية لا يسمّي دولة ثالثة" in slip.text
        assert english_left(wording_of(slip.text), "ar") == []

        arabic = duty.get(f"/requests/{overdue}", headers={"Accept-Language": "ar"}).text
        assert "متأخر" in arabic  # OVERDUE
        assert "الإقرار بالاستلام" in arabic  # Acknowledge receipt
        chinese = duty.get("/console", headers={"Accept-Language": "zh"}).text
        assert "24/7" in chinese and "队列" in chinese  # Queue
        queue = duty.get("/console/queue", headers={"Accept-Language": "zh"}).json()
        [row] = [r for r in queue["rows"] if r["reference"] == overdue]
        assert row["text"]["deadline"] == "确认收到" and row["text"]["status"] == "已收到"
        assert row["deadline"]["label"] == "Acknowledge receipt"  # the data stay as they are
        assert queue["as_of_text"].endswith(" UTC") and "年" in queue["as_of_text"]
        assert queue["caption"][0].startswith("队列")

    with signed_in(running, "XA", "duty") as sender:
        for lang in ("ar", "zh", third):
            drawn_in(sender, "/requests?box=outbox", lang)
            sent = drawn_in(sender, f"/requests/{overdue}", lang)
            assert 'name="action" value="withdraw"' in sent
        token = csrf_of(sender.get(f"/requests/{overdue}").text)
        unconfirmed = sender.post(
            f"/requests/{overdue}/act",
            data={"csrf_token": token, "action": "withdraw", "reason": "不再需要。"},
            headers={"Accept-Language": "zh"},
        )
        assert unconfirmed.status_code == 422
        assert "请勾选“我确认”以撤回" in unconfirmed.text
        assert english_left(wording_of(unconfirmed.text), "zh") == []


def test_an_empty_console_and_dashboard_speak_too(running: Running) -> None:
    with signed_in(running, "XB", "officer") as officer:
        for lang in ("ar", "zh", "ru"):
            page = officer.get("/deadlines", headers={"Accept-Language": lang})
            assert english_left(page.text, lang) == []
            console = officer.get("/console", headers={"Accept-Language": lang})
            assert english_left(console.text, lang) == []
            listing = officer.get("/requests?box=outbox", headers={"Accept-Language": lang})
            assert english_left(listing.text, lang) == []


def test_evidence_staged_sealed_and_received_speaks_too(running: Running) -> None:
    reference = executed_mla(running)
    xb_node = running.node("XB").runtime.node
    assert xb_node is not None
    folder = xb_node.home / "staging" / reference
    folder.mkdir(parents=True)
    (folder / "report.pdf").write_bytes(b"%PDF-1.7 fictional report\n")

    with signed_in(running, "XB", "officer") as officer:
        for lang in ("ar", "zh", "ru"):
            page = drawn_in(officer, f"/requests/{reference}", lang)
            assert 'id="seal-form"' in page and 'id="page-text"' in page
            assert "Seal and deliver" not in page and "Sealing…" not in page
        token = csrf_of(officer.get(f"/requests/{reference}").text)
        delivered = officer.post(
            f"/requests/{reference}/staging/deliver",
            data={"csrf_token": token, "files": ["report.pdf"], "remove_staged": "yes"},
        )
        assert delivered.status_code == 303
        live = officer.get(f"/requests/{reference}/packages", headers={"Accept-Language": "zh"})
        [package] = live.json()["packages"]
        wait_for(
            lambda: (
                (package_row(running.node("XB"), package["id"]) or EvidencePackage()).status
                == "delivered"
            )
        )
        live = officer.get(f"/requests/{reference}/packages", headers={"Accept-Language": "zh"})
        [package] = live.json()["packages"]
        assert package["status_text"] == "已送达"  # Delivered
        assert re.fullmatch(r"[\d,]+ 字节中的 100 %", package["progress_text"])
        assert "验证" in package["verification"]
        for lang in ("ar", "zh", "es"):
            page = drawn_in(officer, f"/requests/{reference}?done=evidence", lang)
            assert f'data-package="{package["id"]}"' in page

    with signed_in(running, "XA", "officer") as requester:
        for lang in ("ar", "zh", "fr"):
            page = drawn_in(requester, f"/requests/{reference}", lang)
            assert f'/evidence/{package["id"]}/files/1"' in page  # openable, decrypted
