"""Parsing request documents: drafts parse, bad input fails with one clear line."""

import json
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from hanoi.cases.documents import (
    KINDS,
    MAX_DOCUMENT_BYTES,
    PreservationRequest,
    document_model,
    new_document,
    parse_document,
    parse_document_obj,
)
from hanoi.cases.errors import CasesError, DocumentError
from hanoi.convention import UnknownInstrumentError

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "requests"


def _example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_parsable_example(kind: str) -> None:
    doc = parse_document((EXAMPLES / f"{kind}.json").read_bytes())
    assert doc.kind == kind
    assert isinstance(doc, document_model(kind))
    # Round trip: what we dump is what we parse.
    assert parse_document(doc.model_dump_json()) == doc


@pytest.mark.parametrize("kind", KINDS)
def test_blank_draft_parses(kind: str) -> None:
    draft = new_document(kind, requesting_state="XA", requested_state="XB")
    assert draft.model_dump()["date_of_request"] == date.today()
    again = parse_document(draft.model_dump_json())
    assert again.kind == kind
    assert again.requesting_state == "XA"


def test_minimal_draft_needs_only_kind() -> None:
    doc = parse_document('{"kind": "preservation"}')
    assert isinstance(doc, PreservationRequest)
    assert doc.offences == []
    assert doc.mla_to_follow is None


def _error(raw: bytes | str) -> str:
    with pytest.raises(DocumentError) as caught:
        parse_document(raw)
    message = str(caught.value)
    assert "\n" not in message
    assert isinstance(caught.value, CasesError)
    return message


def test_malformed_json_reports_line_and_column() -> None:
    message = _error('{\n  "kind": "preservation",\n  "urgent": tru\n}')
    assert message.startswith("not valid JSON: line 3 column 13:")


def test_non_object_is_rejected() -> None:
    assert _error("[1, 2]") == "a request document must be a JSON object, not an array"


def test_nan_is_not_json() -> None:
    assert _error('{"kind": "mla", "x": NaN}').startswith("not valid JSON")


def test_a_key_twice_is_refused_naming_it() -> None:
    # json.loads keeps the last value; another reader may keep the first: neither is read.
    assert _error('{"kind": "mla", "kind": "preservation"}') == "duplicate key 'kind'"
    raw = '{"kind": "preservation", "data_items": [{"description": "a", "description": "b"}]}'
    assert _error(raw) == "duplicate key 'description'"


def test_nesting_is_bounded_before_it_is_parsed() -> None:
    assert _error('{"kind": "mla", "x": ' + "[" * 33 + "]" * 33 + "}") == (
        "nested deeper than 32 levels"
    )
    assert _error("[" * 200_000 + "]" * 200_000) == "nested deeper than 32 levels"


def test_unknown_top_level_field() -> None:
    assert _error('{"kind": "mla", "foo": 1}') == "unknown field 'foo'"


def test_unknown_nested_field_names_its_place() -> None:
    raw = json.dumps({"kind": "preservation", "data_items": [{"description": "x", "foo": 1}]})
    assert _error(raw) == "unknown field 'foo' at data_items.0"


def test_field_of_another_kind_is_unknown() -> None:
    raw = json.dumps({"kind": "extradition", "mla_to_follow": True})
    assert _error(raw) == "unknown field 'mla_to_follow'"


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("urgent", "yes", "urgent"),
        ("preservation_days", "90", "preservation_days"),
        ("summary_of_facts", 42, "summary_of_facts"),
        ("requested_state", "xb", "requested_state"),
        ("language", "english", "language"),
        ("date_of_request", "29/11/2026", "date_of_request"),
        ("offences", {"code": "UNCC-07"}, "offences"),
    ],
)
def test_wrong_types_are_parse_errors(field: str, value: object, path: str) -> None:
    raw = json.dumps({"kind": "preservation", field: value})
    assert _error(raw).startswith(f"{path}: ")


def test_several_problems_are_counted_in_one_line() -> None:
    raw = json.dumps({"kind": "preservation", "urgent": "yes", "language": 1, "foo": 2})
    message = _error(raw)
    assert message.endswith("(and 2 more problems)")
    with pytest.raises(DocumentError) as caught:
        parse_document(raw)
    assert {path for path, _ in caught.value.issues} == {"urgent", "language", "foo"}


def test_bad_data_category_is_a_parse_error() -> None:
    raw = json.dumps({"kind": "preservation", "data_items": [{"category": "metadata"}]})
    assert _error(raw).startswith("data_items.0.category: ")


def test_too_long_text_is_rejected() -> None:
    raw = json.dumps({"kind": "preservation", "reference": "x" * 501})
    assert _error(raw).startswith("reference: ")


def test_oversized_document_is_rejected_before_parsing() -> None:
    raw = b'{"kind": "mla", "purpose": "' + b"x" * MAX_DOCUMENT_BYTES + b'"}'
    assert _error(raw) == (f"document is {len(raw):,} bytes; the limit is 1,048,576 (1 MiB)")


def test_unknown_kind() -> None:
    message = _error('{"kind": "wiretap"}')
    assert message.startswith("unknown kind 'wiretap'; expected one of: preservation, ")


def test_missing_kind() -> None:
    assert _error('{"reference": "A-1"}').startswith("missing field 'kind'")


def test_invalid_utf8() -> None:
    assert _error(b'{"kind": "mla", "purpose": "\xff"}').startswith("not valid UTF-8")


def test_parse_document_obj_accepts_decoded_json() -> None:
    doc = parse_document_obj(_example("mla"))
    assert doc.kind == "mla"
    with pytest.raises(DocumentError, match="not a string"):
        parse_document_obj("mla")


def test_unknown_kind_for_model_lookup() -> None:
    with pytest.raises(UnknownInstrumentError, match="valid kinds: preservation"):
        document_model("wiretap")
    with pytest.raises(UnknownInstrumentError):
        new_document("wiretap")


def test_new_document_rejects_bad_state_code() -> None:
    with pytest.raises(DocumentError, match="requested_state"):
        new_document("mla", requested_state="Borealis")


_ALLOWED_SCALARS = (str, int, float, bool, date)


def _check_shape(annotation: Any, where: str) -> None:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return
    if origin in (typing.Union, type(int | None)):
        rest = [a for a in args if a is not type(None)]
        assert len(rest) == 1 and len(args) == 2, f"{where}: only 'X | None' unions allowed"
        _check_shape(rest[0], where)
        return
    if origin is list:
        (item,) = args
        assert item is str or (isinstance(item, type) and issubclass(item, BaseModel)), where
        if item is not str:
            _check_model(item)
        return
    assert origin is None, f"{where}: {annotation} is not a renderable shape"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _check_model(annotation)
        return
    assert annotation in _ALLOWED_SCALARS, f"{where}: {annotation}"


def _check_model(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid", model.__name__
    for name, field in model.model_fields.items():
        where = f"{model.__name__}.{name}"
        assert field.title, f"{where} has no title"
        _check_shape(field.annotation, where)
        if field.metadata and any(getattr(m, "max_length", None) == 20_000 for m in field.metadata):
            extra = field.json_schema_extra
            assert isinstance(extra, dict) and extra.get("widget") == "textarea", where


@pytest.mark.parametrize("kind", KINDS)
def test_models_only_use_form_renderable_shapes(kind: str) -> None:
    _check_model(document_model(kind))


def test_json_schema_marks_textareas() -> None:
    schema = PreservationRequest.model_json_schema()
    assert schema["properties"]["summary_of_facts"]["widget"] == "textarea"
    assert schema["properties"]["requested_state"]["title"] == "Requested State"


def test_list_entries_are_length_limited() -> None:
    raw = json.dumps({"kind": "preservation", "data_items": [{"identifiers": ["x" * 501]}]})
    assert _error(raw).startswith("data_items.0.identifiers: ")
