"""A node's web app over the seeded database, driven through HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hanoi.config import load_settings
from hanoi.db import Database
from hanoi.web.app import create_app
from hanoi.web.landing import ROLE_PAGES

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def app(seeded_db: Database, tmp_path: Path) -> FastAPI:
    settings = load_settings(home=tmp_path / "node", database_url=seeded_db.url)
    return create_app(settings, database=seeded_db, secure_cookies=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def sign_in(client: TestClient, username: str, password: str) -> None:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    # Each role's own page (tests/web/test_landing.py checks which role lands where).
    assert response.headers["location"] in set(ROLE_PAGES.values())


@pytest.fixture
def alice(client: TestClient, seed_password: str) -> TestClient:
    """The client, signed in as alice (MLA officer at XA-CA)."""
    sign_in(client, "alice", seed_password)
    return client
