"""The HTTP API fuzzed from its own OpenAPI document: no 5xx, no answer outside its schema."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hanoi.config import load_settings
from hanoi.db import Database, upgrade
from hanoi.web.app import create_app


def _app():  # type: ignore[no-untyped-def]
    # The API under test touches no table, so one backend is enough here; database
    # behaviour is covered on both backends elsewhere.
    node_settings = load_settings(home=Path(tempfile.mkdtemp(prefix="hanoi-fuzz-")))
    upgrade(node_settings.database_url)
    database = Database(node_settings.database_url)
    return create_app(node_settings, database=database, secure_cookies=False)


schema = schemathesis.openapi.from_asgi("/api/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Lone UTF-16 surrogates are valid JSON Schema strings but not Unicode text: the API
    # refuses them on purpose (they cannot be stored, printed or signed). Every other
    # schema-valid body must be accepted.
    if _has_lone_surrogate(case.body):
        response = case.call()
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        assert response.status_code == 422, response.text
    else:
        case.call_and_validate()


def _has_lone_surrogate(body: Any) -> bool:
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except TypeError:
        return False
    return False
