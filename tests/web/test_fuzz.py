"""The HTTP API fuzzed from its own OpenAPI document: no 5xx, no answer outside its schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from hanoi.config import load_settings
from hanoi.db import Database, upgrade
from hanoi.web.app import create_app


@pytest.fixture
def api_schema(tmp_path: Path) -> schemathesis.BaseSchema:
    # The API under test touches no table, so one backend is enough here; the database
    # behaviour is covered on both backends elsewhere.
    settings_ = load_settings(home=tmp_path)
    upgrade(settings_.database_url)
    app = create_app(settings_, database=Database(settings_.database_url), secure_cookies=False)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()
