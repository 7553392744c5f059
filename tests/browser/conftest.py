"""A real node served by uvicorn on loopback, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from hanoi.config import load_settings
from hanoi.db import Database, upgrade
from hanoi.demo import seed_demo_node
from hanoi.web.app import create_app
from tests.serving import served

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def node_url(tmp_path: Path) -> Iterator[str]:
    """A seeded demo node listening on a free loopback port for the test's duration."""
    settings = load_settings(home=tmp_path / "node")
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    seed_demo_node(db)
    try:
        with served(create_app(settings, database=db, secure_cookies=False)) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
