"""The audit log page over real HTTP against a running demo node: filters by user, action,
target and date range, keyset paging through the whole trail, targets shown by what they
are, bad filters refused with a clear message, every view audited, auditors and
administrators only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.audit import AuditEvent, list_events, record
from hanoi.cases.drafts import save_draft
from hanoi.demo.scenario import example_document
from tests.federation import Running
from tests.web.test_request_pages import signed_in

ROW_ID = re.compile(r"<tr><td>(\d+)</td>")
LINK = re.compile(r'<a href="(/audit\?[^"]+)" rel="(prev|next)">')
#: Fillers are dated on this day, ten seconds apart, far from the demo's own events.
PAST = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
FILLERS = 450


def ids_on(html: str) -> list[int]:
    return [int(i) for i in ROW_ID.findall(html)]


def links_on(html: str) -> dict[str, str]:
    """The paging links: "prev" (newer events) and "next" (older events)."""
    return {rel: href.replace("&amp;", "&") for href, rel in LINK.findall(html)}


def fill(running: Running) -> None:
    with running.node("XB").runtime.db.session() as session:
        for n in range(FILLERS):
            record(
                session,
                actor="filler",
                action="test.filler",
                target_type="request",
                target_id=f"XB-FILL-{n}",
                at=PAST + timedelta(seconds=10 * n),
            )


def all_ids(running: Running) -> list[int]:
    with running.node("XB").runtime.db.session() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))


def test_pages_through_the_whole_trail(running: Running) -> None:
    fill(running)
    with signed_in(running, "XB", "auditor") as auditor:
        first = auditor.get("/audit")
        assert first.status_code == 200
        page = ids_on(first.text)
        assert len(page) == 200 and page == sorted(page, reverse=True)
        assert set(links_on(first.text)) == {"next"}, "the newest page has no newer link"
        expected = [i for i in all_ids(running) if i <= page[0]]

        seen, html, pages = list(page), first.text, [page]
        while "next" in links_on(html):
            html = auditor.get(links_on(html)["next"]).text
            pages.append(ids_on(html))
            seen += pages[-1]
        assert seen == expected, "every event exactly once, newest first"
        assert len(pages) >= 3 and "prev" in links_on(html)

        # Newer from the second page is the first page again, whatever was added since.
        second = auditor.get(links_on(first.text)["next"]).text
        assert ids_on(auditor.get(links_on(second)["prev"]).text) == pages[0]


def test_filters(running: Running) -> None:
    fill(running)
    xb = running.node("XB").runtime
    with xb.db.session() as session:
        officer = get_user_by_username(session, "officer")
        assert officer is not None
        draft = save_draft(
            session, user=officer, kind="preservation", document=example_document("preservation")
        )
        draft_id = draft.id

    with signed_in(running, "XB", "auditor") as auditor:
        mine = auditor.get("/audit", params={"actor": "filler", "action": "test.filler"})
        assert mine.status_code == 200
        ids = ids_on(mine.text)
        assert len(ids) == 200 and "Matching events" in mine.text
        older = auditor.get(links_on(mine.text)["next"]).text
        assert len(ids_on(older)) == 200 and "next" in links_on(older)
        # Filters ride along with the paging links.
        assert "actor=filler" in links_on(mine.text)["next"]

        one = auditor.get("/audit", params={"target": "XB-FILL-7"})
        assert len(ids_on(one.text)) == 1 and "Request <code>XB-FILL-7</code>" in one.text

        # One UTC day, both ends included: the fillers of 2025-03-14 and nothing else.
        day = auditor.get("/audit", params={"since": "2025-03-14", "until": "2025-03-14"})
        html = day.text
        total = len(ids_on(html))
        while "next" in links_on(html):
            html = auditor.get(links_on(html)["next"]).text
            total += len(ids_on(html))
        assert total == FILLERS
        before = auditor.get("/audit", params={"until": "2025-03-13"})
        assert "XB-FILL" not in before.text
        after = auditor.get("/audit", params={"since": "2025-03-15", "actor": "filler"})
        assert ids_on(after.text) == [] and "No event matches." in after.text

        # A draft is shown by the kind of request it drafts; an auditor gets no link into it.
        drafted = auditor.get("/audit", params={"target": draft_id}).text
        assert "Draft of Expedited preservation of stored electronic data" in drafted
        assert f'href="/drafts/{draft_id}"' not in drafted

    with xb.db.session() as session:
        views = list_events(session, actor="auditor", action="audit.view", limit=1)
    assert views[0].detail_data == {"target": draft_id}, "the view is audited with its filters"


def test_bad_filters_are_refused(running: Running) -> None:
    bad = (
        ({"since": "2025-13-01"}, "since: '2025-13-01' is not a date"),
        ({"until": "yesterday"}, "until: 'yesterday' is not a date"),
        ({"since": "2025-03-15", "until": "2025-03-14"}, "starts after it ends"),
        ({"before": "abc"}, "before: not an event number"),
        ({"before": "-1"}, "before: not an event number"),
        ({"after": "99999999999999999999"}, "after: not an event number"),
        ({"before": "5", "after": "3"}, "one page at a time"),
        ({"actor": "x" * 101}, "actor: at most 100 characters"),
        ({"action": "a\x00b"}, "action: control characters"),
        ({"order": "id"}, "order: not a filter of this page"),
    )
    with signed_in(running, "XB", "auditor") as auditor:
        for params, message in bad:
            response = auditor.get("/audit", params=params)
            assert response.status_code == 422, params
            assert message in response.text.replace("&#39;", "'"), params
            assert ids_on(response.text) == [], params


def test_only_auditors_read_the_log(running: Running) -> None:
    url = running.federation.nodes["XB"].url
    for username in ("officer", "duty", "supervisor"):
        with signed_in(running, "XB", username) as client:
            assert client.get("/audit", params={"actor": "auditor"}).status_code == 403
    with httpx.Client(base_url=url) as anonymous:
        response = anonymous.get("/audit", params={"actor": "auditor"})
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=%2Faudit%3Factor%3Dauditor"
