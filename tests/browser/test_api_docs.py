"""In Chromium: /api/docs shows the node's operations under the node's own
Content-Security-Policy, with nothing fetched from another host and nothing refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_under_the_nodes_csp(page: Page, node_url: str) -> None:
    console: list[str] = []
    hosts: set[str] = set()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            console.append(message.text)

    def on_request(request: Request) -> None:
        hosts.add(urlsplit(request.url).netloc)

    page.on("console", on_console)
    page.on("request", on_request)
    page.goto(f"{node_url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hanoi node")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/health")).to_be_visible()
    assert hosts == {urlsplit(node_url).netloc}
    assert not [text for text in console if "Content Security Policy" in text], console
