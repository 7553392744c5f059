"""A case-management system drives the node through the JSON API with API tokens only:
draft, send, four eyes, the other State acts; and every refusal a token can meet."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from hanoi.accounts.lookup import get_user_by_username
from hanoi.accounts.session_models import ApiToken
from hanoi.accounts.tokens import create_token, revoke_token
from hanoi.audit.models import AuditEvent
from hanoi.db.base import utcnow
from hanoi.demo.scenario import example_document
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.package import verify_package
from hanoi.evidence.service import directory_keys
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE
from tests.evidence.delivery import deliver, executed_mla, package_row, seal_for, wait_for
from tests.exchange.conftest import Running
from tests.exchange.helpers import outbox
from tests.web.test_request_pages import status_on, wait_delivered

#: What XB's officer sends as evidence, uploaded in two pieces.
EVIDENCE = os.urandom(2 * 1024 * 1024 + 3)


def _token(
    running: Running,
    state: str,
    username: str,
    *scopes: str,
    lifetime: timedelta | None = None,
) -> str:
    with running.node(state).runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        _, secret = create_token(
            session,
            user=user,
            name="case system",
            scopes=scopes or ("read", "write"),
            lifetime=lifetime,
            actor="test",
        )
        return secret


@contextmanager
def _api(running: Running, state: str, token: str | None) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = running.federation.nodes[state].url + "/api/v1"
    with httpx.Client(base_url=url, headers=headers) as client:
        yield client


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_the_whole_journey_with_tokens_only(running: Running) -> None:
    officer = _token(running, "XA", "officer")
    supervisor = _token(running, "XA", "supervisor")
    xb_officer = _token(running, "XB", "officer")
    mla = example_document("mla", date_of_request=date.today().isoformat())

    with _api(running, "XA", officer) as api:
        created = api.post("/drafts", content=json.dumps(mla))
        assert created.status_code == 201, created.text
        draft = created.json()
        assert draft["version"] == 1 and draft["check"]["ok"] is True
        assert [d["id"] for d in api.get("/drafts").json()] == [draft["id"]]
        urgent = mla | {"urgent": True}
        stale = api.put(f"/drafts/{draft['id']}?version=7", content=json.dumps(urgent))
        _problem(stale, 409)
        updated = api.put(f"/drafts/{draft['id']}?version=1", content=json.dumps(urgent))
        assert updated.status_code == 200 and updated.json()["version"] == 2
        sent = api.post(f"/drafts/{draft['id']}/send", json={"version": 2})
        assert sent.status_code == 201, sent.text
        reference = sent.json()["reference"]
        assert sent.json()["status"] == "awaiting_approval"
        _problem(api.post(f"/drafts/{draft['id']}/send", json={}), 409)  # one draft, one request
        assert api.get("/drafts").json() == []
        _problem(api.post(f"/requests/{reference}/approve", json={}), 403)  # not a supervisor

    with _api(running, "XA", supervisor) as api:
        waiting = api.get("/approvals").json()
        assert [(r["reference"], r["submitted_by"]) for r in waiting] == [(reference, "officer")]
        approved = api.post(f"/requests/{reference}/approve", json={"comment": "Checked."})
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "sent"
    wait_delivered(running, "XA", reference)

    with _api(running, "XB", xb_officer) as api:
        inbox = api.get("/requests", params={"box": "inbox"}).json()
        assert [r["reference"] for r in inbox] == [reference]
        shown = api.get(f"/requests/{reference}").json()
        assert shown["urgent"] is True and "acknowledge" in shown["actions"]
        too_soon = api.post(f"/requests/{reference}/actions", json={"action": "execute"})
        assert "must be acknowledged" in _problem(too_soon, 422)["detail"]
        for action in ("acknowledge", "start"):
            done = api.post(f"/requests/{reference}/actions", json={"action": action})
            assert done.status_code == 200, done.text
        # The evidence: uploaded in two pieces into the staging folder, sealed, delivered.
        upload = api.post(
            f"/requests/{reference}/evidence/uploads",
            json={"name": "hosting-records.csv", "size": len(EVIDENCE)},
        )
        assert upload.status_code == 201, upload.text
        pieces = f"/requests/{reference}/evidence/uploads/{upload.json()['id']}"
        half = len(EVIDENCE) // 2
        for offset, piece in ((0, EVIDENCE[:half]), (half, EVIDENCE[half:])):
            sent_piece = api.patch(
                pieces,
                content=piece,
                headers={"Upload-Offset": str(offset), "Content-Type": CHUNK_CONTENT_TYPE},
            )
            assert sent_piece.status_code == 204, sent_piece.text
        sealed = api.post(
            f"/requests/{reference}/evidence", json={"files": ["hosting-records.csv"]}
        )
        assert sealed.status_code == 201, sealed.text
        package_id = sealed.json()["id"]
        executed = api.post(
            f"/requests/{reference}/actions",
            json={"action": "execute", "reason": "Data obtained; evidence follows."},
        )
        assert executed.json()["status"] == "executed"
        kept = api.post(
            f"/requests/{reference}/conditions",
            json={"kind": "speciality", "text": "Only for the case named in the request."},
        )
        assert kept.status_code == 200 and kept.json()["conditions"][0]["kind"] == "speciality"
    wait_delivered(running, "XB", reference)
    assert status_on(running, "XA", reference) == "executed"

    with _api(running, "XA", officer) as api:

        def arrived() -> bool:
            listed = api.get(f"/requests/{reference}/evidence").json()
            return bool(listed) and listed[0]["status"] == "delivered"

        wait_for(arrived, 60)
        [package] = api.get(f"/requests/{reference}/evidence").json()
        assert package["id"] == package_id and package["openable"] is True
        got = api.get(f"/requests/{reference}/evidence/{package_id}/files/1")
        assert got.status_code == 200, got.text
        assert hashlib.sha256(got.content).digest() == hashlib.sha256(EVIDENCE).digest()
        timeline = [i["what"] for i in api.get(f"/requests/{reference}").json()["timeline"]]
        assert timeline[:3] == ["submit", "approve", "send"] and "execute" in timeline
        assert "evidence-file-opened" in timeline


def test_a_request_not_wanted_after_all_is_discarded_before_it_leaves(running: Running) -> None:
    officer = _token(running, "XA", "officer")
    reader = _token(running, "XA", "officer", "read")
    mla = example_document("mla", date_of_request=date.today().isoformat())
    with _api(running, "XA", officer) as api:
        draft = api.post("/drafts", content=json.dumps(mla)).json()
        reference = api.post(f"/drafts/{draft['id']}/send", json={}).json()["reference"]
        with _api(running, "XA", reader) as read_only:
            _problem(read_only.post(f"/requests/{reference}/discard", json={}), 403)
        dropped = api.post(f"/requests/{reference}/discard", json={"comment": "Sent twice."})
        assert dropped.status_code == 200, dropped.text
        assert dropped.json()["status"] == "discarded"
        assert api.get("/drafts").json() == []  # its draft is closed, not listed again
        _problem(api.post(f"/requests/{reference}/discard", json={}), 422)
    with _api(running, "XB", _token(running, "XB", "officer")) as api:
        _problem(api.post(f"/requests/{reference}/discard", json={}), 404)  # not theirs
    assert outbox(running.node("XA")) == []


def test_tokens_that_are_missing_wrong_or_out_of_bounds_are_refused(running: Running) -> None:
    reader = _token(running, "XA", "officer", "read")
    writer = _token(running, "XA", "officer")
    other_authority = _token(running, "XA", "duty")
    expired = _token(running, "XA", "officer", lifetime=timedelta(days=1))
    with running.node("XA").runtime.db.session() as session:  # a day has passed
        session.execute(
            update(ApiToken)
            .where(ApiToken.prefix == expired[:12])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    revoked = _token(running, "XA", "officer")
    with running.node("XA").runtime.db.session() as session:
        user = get_user_by_username(session, "officer")
        assert user is not None
        revoke_token(session, user=user, prefix=revoked[:12], actor="test")

    mla = example_document("mla", date_of_request=date.today().isoformat())
    with _api(running, "XA", writer) as api:
        draft = api.post("/drafts", content=json.dumps(mla)).json()["id"]
        reference = api.post(f"/drafts/{draft}/send", json={}).json()["reference"]

    for token in (None, "hanoi_" + "x" * 43, "not-even-ours", expired, revoked):
        with _api(running, "XA", token) as api:
            _problem(api.get("/requests"), 401)
            _problem(api.get(f"/requests/{reference}"), 401)
    with _api(running, "XA", None) as api:  # a cookie is no token, and a Basic header neither
        _problem(api.get("/drafts", headers={"Authorization": "Basic b2ZmaWNlcjp4"}), 401)
    with _api(running, "XA", reader) as api:
        assert api.get(f"/requests/{reference}").status_code == 200
        _problem(api.post("/drafts", content=json.dumps(mla)), 403)  # no write scope
    with _api(running, "XA", other_authority) as api:  # need-to-know: as if it did not exist
        _problem(api.get(f"/requests/{reference}"), 404)
        _problem(api.get(f"/drafts/{draft}"), 404)
        _problem(api.post(f"/requests/{reference}/approve", json={}), 403)
    with _api(running, "XA", writer) as api:
        bad = api.post(f"/requests/{reference}/actions", json={"action": "approve"})
        _problem(bad, 422)  # approval is its own step, never an action
        _problem(api.post(f"/requests/{reference}/actions", json={"action": "fly"}), 422)
        _problem(api.post(f"/requests/{reference}/actions", json={"nope": 1}), 422)

    with running.node("XA").runtime.db.session() as session:
        used = session.scalars(select(AuditEvent).where(AuditEvent.action == "token.use"))
        paths = [json.loads(e.detail or "{}")["path"] for e in used]
        assert "/api/v1/drafts" in paths and f"/api/v1/requests/{reference}" in paths
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.denied")
        ).all()
        assert any(json.loads(e.detail or "{}").get("reason") == "token" for e in refused)


def test_evidence_is_listed_and_downloaded_with_a_token(running: Running, tmp_path: Path) -> None:
    reference = executed_mla(running)
    package_id = deliver(running, reference, seal_for(running, reference, tmp_path))
    xa = running.node("XA")
    wait_for(lambda: (package_row(xa, package_id) or EvidencePackage()).status == "delivered")
    received = package_row(xa, package_id)
    assert received is not None

    with _api(running, "XA", _token(running, "XA", "officer", "read")) as api:
        [listed] = api.get(f"/requests/{reference}/evidence").json()
        assert listed["id"] == package_id and listed["direction"] == "incoming"
        assert listed["status"] == "delivered" and listed["downloadable"] is True
        assert [f["sha256"] for f in listed["files"]] == [f.sha256 for f in received.manifest.files]
        tar = api.get(f"/requests/{reference}/evidence/{package_id}.tar")
        assert tar.status_code == 200 and tar.headers["content-type"] == "application/x-tar"
        with tarfile.open(fileobj=io.BytesIO(tar.content)) as archive:
            archive.extractall(tmp_path / "court", filter="data")
        _problem(api.get(f"/requests/{reference}/evidence/{'0' * 26}.tar"), 404)
    assert xa.runtime.node is not None
    keys = directory_keys(xa.runtime.node.directory, "XB")
    unpacked = tmp_path / "court" / f"{reference}-{package_id}"
    assert verify_package(unpacked, keys_for=keys).manifest.package_id == package_id

    with _api(running, "XA", _token(running, "XA", "duty")) as stranger:  # need-to-know
        _problem(stranger.get(f"/requests/{reference}/evidence"), 404)
        _problem(stranger.get(f"/requests/{reference}/evidence/{package_id}.tar"), 404)
    with running.node("XA").runtime.db.session() as session:
        downloads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "evidence.downloaded")
        ).all()
        assert [(d.actor, d.target_id) for d in downloads] == [("officer", reference)]
