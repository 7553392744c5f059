"""/api/docs works under the node's own Content-Security-Policy: the page names only
same-origin assets, has no inline script or style, and every asset it names is served."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for attribute in ("src", "href"):
            if named.get(attribute):
                self.urls.append(str(named[attribute]))
        if "style" in named:
            self.inline.append(f"style attribute on <{tag}>")
        if tag == "style" or (tag == "script" and not named.get("src")):
            self._in = tag

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.inline.append(f"inline <{self._in}>")

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def test_api_docs_use_only_the_nodes_own_assets(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    parsed = _Assets()
    parsed.feed(page.text)
    assert parsed.inline == []
    assert parsed.urls, "the page names no assets"
    kinds = set()
    for url in parsed.urls:
        # Same origin: a path on this node, never another host (no scheme, no //host).
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        kind = asset.headers["content-type"].split(";")[0]
        assert kind in {"text/css", "text/javascript", "application/javascript"}, (url, kind)
        kinds.add(kind)
        assert len(asset.content) > 0
    assert "text/css" in kinds and len(kinds) == 2  # the stylesheet and the scripts
    assert "SwaggerUIBundle" in client.get("/api/docs/assets/swagger-ui-bundle.js").text


def test_the_openapi_description_the_page_loads_is_served(client: TestClient) -> None:
    page = client.get("/api/docs").text
    assert 'data-openapi-url="/api/openapi.json"' in page
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Hanoi node"


def test_nothing_outside_the_assets_folder_is_served(client: TestClient) -> None:
    assert client.get("/api/docs/assets/%2e%2e/core.py").status_code == 404
    assert client.get("/api/docs/assets/missing.js").status_code == 404
