"""Client addresses on a demo node served by `hanoi demo`'s own server: X-Forwarded-For is
believed only from a proxy the settings name, never by default (not even from loopback)."""

from __future__ import annotations

import dataclasses

import httpx
from sqlalchemy import select

from hanoi.accounts.session_models import SignInThrottle
from hanoi.audit.models import AuditEvent
from hanoi.demo.federation import DemoFederation
from hanoi.demo.serving import serve_node
from tests.web.conftest import csrf_of

SPOOFED = "203.0.113.77"


def _fail_sign_in(url: str) -> None:
    """One wrong password for the demo officer, claiming to come from SPOOFED."""
    with httpx.Client(base_url=url, timeout=60) as client:
        token = csrf_of(client.get("/sign-in").text)
        response = client.post(
            "/sign-in",
            data={"username": "officer", "password": "not the password", "csrf_token": token},
            headers={"X-Forwarded-For": SPOOFED},
        )
    assert response.status_code == 401, response.text


def _seen(federation: DemoFederation) -> tuple[set[str | None], set[str]]:
    """The addresses of the failed sign-ins audited, and the throttle's address keys."""
    with federation.database("XA").session() as session:
        audited = set(
            session.scalars(
                select(AuditEvent.remote_addr).where(AuditEvent.action.like("sign_in%"))
            )
        )
        keys = set(
            session.scalars(select(SignInThrottle.key).where(SignInThrottle.key.like("addr:%")))
        )
    return audited, keys


def test_a_spoofed_forwarded_for_changes_neither_audit_nor_throttle(
    built: DemoFederation,
) -> None:
    node = built.nodes["XA"]
    served = serve_node(node, settings=built.settings(node))
    try:
        _fail_sign_in(node.url)
    finally:
        served.stop()
    audited, keys = _seen(built)
    assert audited == {"127.0.0.1"}
    assert keys == {"addr:127.0.0.1"}


def test_a_named_proxy_is_believed(built: DemoFederation) -> None:
    node = built.nodes["XA"]
    settings = dataclasses.replace(built.settings(node), forwarded_allow_ips=("127.0.0.1/32",))
    served = serve_node(node, settings=settings)
    try:
        _fail_sign_in(node.url)
    finally:
        served.stop()
    audited, keys = _seen(built)
    assert audited == {SPOOFED}
    assert keys == {f"addr:{SPOOFED}"}
