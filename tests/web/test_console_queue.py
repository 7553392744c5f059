"""The 24/7 console's JSON queue, over real HTTP against the running demo federation: what
the page's script redraws, with the page's session and need-to-know; and the page itself
works without the script (a refresh link, the queue in the HTML)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from hanoi.db.base import utcnow
from hanoi.demo.scenario import example_document
from tests.federation import Running
from tests.web.test_request_pages import received_ago, send, signed_in


@pytest.fixture
def backend() -> str:
    """SQLite only: the queue is the console page's rows, which
    tests/web/test_request_pages.py already reads on both engines."""
    return "sqlite"


def test_queue_follows_the_console(running: Running) -> None:
    document = example_document("preservation", date_of_request=utcnow().date().isoformat())
    ref = send(running, "XA", "duty", document)
    received_ago(running, "XB", ref, timedelta(hours=5))

    with signed_in(running, "XB", "duty") as duty:
        page = duty.get("/console")
        assert page.status_code == 200
        assert 'src="/static/console.js"' in page.text and "<script>" not in page.text
        assert 'href="/console">refresh</a>' in page.text and 'aria-live="polite"' in page.text
        assert f'data-reference="{ref}"' in page.text

        queue = duty.get("/console/queue")
        assert queue.status_code == 200
        assert queue.headers["content-type"] == "application/json"
        assert queue.headers["cache-control"] == "no-store"
        rows = queue.json()["rows"]
        [row] = [r for r in rows if r["reference"] == ref]
        assert row["url"] == f"/requests/{ref}" and row["received"] is True
        assert row["state"] == "XA" and row["urgent"] is True and row["overdue"] is True
        assert row["status"] == "received" and "acknowledge" in row["actions"]
        assert row["deadline"]["label"] and row["deadline"]["due"].endswith("+00:00")
        assert row["title"] == "Expedited preservation of stored electronic data"

        # A second request shows up in the queue without reloading the page.
        other = send(running, "XA", "duty", document)
        references = [r["reference"] for r in duty.get("/console/queue").json()["rows"]]
        assert references.index(ref) < references.index(other), "overdue first, as the page"

    # Need-to-know: the central authority's officer does not see the 24/7 point's requests;
    # an auditor reads no queue at all; signed out, a 401 for the script (no redirect).
    with signed_in(running, "XB", "officer") as officer:
        assert ref not in officer.get("/console/queue").text
    with signed_in(running, "XB", "auditor") as auditor:
        assert auditor.get("/console/queue").status_code == 403
    with httpx.Client(base_url=running.federation.nodes["XB"].url) as anonymous:
        refused = anonymous.get("/console/queue")
        assert refused.status_code == 401 and refused.json() == {"error": "sign-in required"}
        assert ref not in refused.text
