"""The node's services reach handlers only through hanoi.web.deps, and never as parameters."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

import hanoi
from hanoi.web.deps import NodeServices, installed

SOURCE = Path(hanoi.__file__).parent


def test_only_deps_touches_app_state() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path != SOURCE / "web" / "deps.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "app.state" in line
    ]
    assert offenders == []


def test_the_app_holds_one_typed_services_object(app: FastAPI) -> None:
    services = installed(app)
    assert isinstance(services, NodeServices)
    assert services.node is None and services.worker is None


def test_services_are_not_request_parameters(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    names = {
        parameter["name"]
        for operations in document["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
    }
    assert names.isdisjoint({"request", "db", "settings", "node", "worker", "services"})
    assert names == {
        "kind",
        "lang",
        "format",
        "bilingual",
        "as-of",
        "draft_id",
        "version",
        "box",
        "reference",
        "package_id",
        "index",
        "upload_id",
        "name",
        "Upload-Offset",
    }
