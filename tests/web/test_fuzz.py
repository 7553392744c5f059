"""The HTTP API fuzzed from its own OpenAPI document: no 5xx, no answer outside its schema."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from hanoi.cases.documents import MAX_DOCUMENT_BYTES
from hanoi.config import load_settings
from hanoi.db import Database, upgrade
from hanoi.exchange.identity import LocalNode
from hanoi.node import create_node
from hanoi.web.app import create_app


def _app():  # type: ignore[no-untyped-def]
    # The API under test touches no table, so one backend is enough here; database
    # behaviour is covered on both backends elsewhere.
    # A node with an identity, so /federation/v1 is fuzzed too.
    node_settings = load_settings(home=Path(tempfile.mkdtemp(prefix="hanoi-fuzz-")))
    create_node(node_settings.home, state="XA", name="Fuzz node", url="http://127.0.0.1:9")
    upgrade(node_settings.database_url)
    database = Database(node_settings.database_url)
    node = LocalNode.load(node_settings.home)
    return create_app(node_settings, database=database, secure_cookies=False, node=node)


@schemathesis.serializer("application/jose")
def _jose_text(ctx: Any, value: Any) -> bytes:
    # A compact JWE is ASCII text; generated values are sent as their text spelling.
    return (
        value.encode("utf-8", "surrogatepass")
        if isinstance(value, str)
        else json.dumps(value).encode()
    )


@schemathesis.serializer("application/offset+octet-stream")
def _piece_bytes(ctx: Any, value: Any) -> bytes:
    # A piece of an upload is any bytes; generated values are sent as their text spelling.
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


# The coverage phase tries every boundary a schema defines: for the request document's
# schema, over 3,000 calls per operation. Four operations take that document; the check
# gets the whole phase (it parses and checks without writing), and drafts and letters,
# which parse it the same way, get the examples and the fuzzing only.
_CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path-regex": r"^/api/v1/(drafts|drafts/\{draft_id\}|requests/render)$",
                "phases": {"coverage": {"enabled": False}},
            }
        ]
    }
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", _app(), config=_CONFIG)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Lone UTF-16 surrogates are valid JSON Schema strings but not Unicode text: the API
    # refuses them on purpose (they cannot be stored, printed or signed). Every other
    # schema-valid body must be accepted.
    if case.path.startswith("/federation/"):
        # Random text is never a sealed message from a known node: always a 4xx problem.
        response = case.call()
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        assert 400 <= response.status_code < 500, response.text
    elif _oversized(case.body):
        # Over the documented size limit, valid or not: refused before parsing, always 413.
        response = case.call()
        case.validate_response(
            response, excluded_checks=[positive_data_acceptance, negative_data_rejection]
        )
        assert response.status_code == 413, response.text
    elif _has_lone_surrogate(case.body):
        response = case.call()
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        assert response.status_code == 422, response.text
    else:
        case.call_and_validate()


def _oversized(body: Any) -> bool:
    try:
        size = len(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except TypeError:
        return False
    return size > MAX_DOCUMENT_BYTES


def _has_lone_surrogate(body: Any) -> bool:
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except TypeError:
        return False
    return False
