"""Request documents: one pydantic model per instrument, discriminated on ``kind``.

Parsing and checking are deliberately separate. A *draft* with elements still missing must
parse, so every element field is optional here; the checker (``hanoi.cases.check``) reports
what is missing against the Convention data. Parsing only rejects what no draft should
contain: wrong types, unknown fields, oversized input.

Field shapes are kept to what a generic form renderer can draw: scalars, ``Literal``, nested
models, ``list[str]``, ``list[Model]`` and ``X | None``. Every field has a ``title`` (its form
label); long text carries ``json_schema_extra={"widget": "textarea"}``.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date
from typing import Annotated, Any, Literal, NoReturn, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from hanoi.cases.errors import DocumentError
from hanoi.convention import KINDS, UnknownInstrumentError
from hanoi.crypto.canonical import parse_json
from hanoi.crypto.errors import MalformedJSON

MAX_DOCUMENT_BYTES = 1 << 20
"""Largest request document accepted (1 MiB). Evidence travels separately, so a request is
text only; the cap keeps a hostile upload from exhausting memory."""

SHORT = 500
LONG = 20_000
MAX_ITEMS = 200

ShortText = Annotated[str | None, Field(max_length=SHORT)]
LongText = Annotated[str | None, Field(max_length=LONG, json_schema_extra={"widget": "textarea"})]
StateCode = Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")]
LanguageCode = Annotated[str | None, Field(pattern=r"^[a-z]{2}$")]
# Dates arrive as ISO strings in JSON; everything else is strict (no "5" -> 5, "yes" -> True).
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # Lax date parsing would also take numbers (and digit strings) as Unix timestamps; a date
    # in a request is written YYYY-MM-DD and nothing else.
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError("expected a date written YYYY-MM-DD")


def _whole_number(value: object) -> object:
    # JSON Schema counts 4.0 as an integer; so do we. Anything else stays strict.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


OptionalWholeNumber = Annotated[int | None, BeforeValidator(_whole_number)]

OptionalDate = Annotated[date | None, Field(strict=False), BeforeValidator(_iso_date_only)]


def _short_items(items: list[str]) -> list[str]:
    for index, item in enumerate(items):
        if len(item) > SHORT:
            raise ValueError(f"entry {index} is longer than {SHORT} characters")
    return items


# Items stay plain ``str`` (not Annotated) so a form renderer sees exactly ``list[str]``.
ShortList = Annotated[list[str], Field(max_length=MAX_ITEMS), AfterValidator(_short_items)]

DataCategoryField = Literal["subscriber_information", "traffic_data", "content_data"]
AssistanceType = Literal[
    "taking_evidence",
    "service_of_documents",
    "search_seizure_freezing",
    "examining_objects_and_sites",
    "information_and_expert_evaluations",
    "records",
    "tracing_proceeds",
    "voluntary_appearance",
    "other",
]
ConfiscationMeasure = Literal["tracing", "freezing", "seizure", "confiscation"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Authority(_Part):
    """Who is asking, and how to reach them."""

    name: ShortText = Field(default=None, title="Authority name")
    address: ShortText = Field(default=None, title="Postal address")
    contact_name: ShortText = Field(default=None, title="Contact person")
    email: Annotated[str | None, Field(max_length=254)] = Field(default=None, title="Email")
    phone: Annotated[str | None, Field(max_length=50)] = Field(
        default=None, title="Telephone", description="With country code; reachable 24/7 if urgent."
    )


class OffenceItem(_Part):
    """One offence, by code from the Convention's offence list, with the conduct behind it
    (dual criminality is judged on conduct, not labels: Art. 35)."""

    code: Annotated[str | None, Field(max_length=20)] = Field(
        default=None, title="Offence code", description="From the offence list, e.g. UNCC-07."
    )
    description: LongText = Field(default=None, title="Description of the conduct")
    maximum_penalty_years: OptionalWholeNumber = Field(
        default=None, ge=0, le=200, title="Maximum penalty (years of deprivation of liberty)"
    )
    optional_elements: ShortList = Field(
        default_factory=list,
        title="Optional elements present",
        description="Ids of the offence's optional or qualifying elements that the facts meet.",
    )
    domestic_provision: ShortText = Field(
        default=None, title="Provision of the requesting State's law"
    )


class DataItem(_Part):
    """One set of electronic data the request concerns."""

    category: DataCategoryField | None = Field(default=None, title="Data category")
    description: LongText = Field(default=None, title="Description of the data")
    identifiers: ShortList = Field(
        default_factory=list,
        title="Identifiers",
        description="Accounts, addresses, numbers or other selectors, one per entry.",
    )
    custodian: ShortText = Field(default=None, title="Custodian or service provider")
    location: ShortText = Field(default=None, title="Location of the data or ICT system")


class Period(_Part):
    start: OptionalDate = Field(default=None, title="From")
    end: OptionalDate = Field(default=None, title="To")


class Person(_Part):
    full_name: ShortText = Field(default=None, title="Full name")
    date_of_birth: OptionalDate = Field(default=None, title="Date of birth")
    nationality: StateCode = Field(default=None, title="Nationality (ISO 3166 code)")
    last_known_location: ShortText = Field(default=None, title="Last known location")
    description: LongText = Field(default=None, title="Other identifying details")


class PropertyItem(_Part):
    description: LongText = Field(default=None, title="Description of the property")
    location: ShortText = Field(default=None, title="Location")
    estimated_value: float | None = Field(default=None, ge=0, title="Estimated value")
    currency: Annotated[str | None, Field(max_length=10)] = Field(
        default=None, title="Currency or virtual asset"
    )
    holder: ShortText = Field(default=None, title="Holder or owner")


class _Request(_Part):
    """The header every request document carries."""

    kind: str = Field(title="Kind of request")
    reference: ShortText = Field(default=None, title="Requesting State's reference")
    requesting_state: StateCode = Field(default=None, title="Requesting State")
    requested_state: StateCode = Field(default=None, title="Requested State")
    requesting_authority: Authority = Field(default_factory=Authority, title="Requesting authority")
    language: LanguageCode = Field(
        default=None, title="Language", description="ISO 639-1 code, e.g. en."
    )
    date_of_request: OptionalDate = Field(default=None, title="Date of the request")
    urgent: bool = Field(default=False, title="Urgent")


# Reusable field definitions (each call makes a fresh FieldInfo).
def _offences() -> Any:
    return Field(default_factory=list, max_length=MAX_ITEMS, title="Offences")


def _data_items(title: str = "Data") -> Any:
    return Field(default_factory=list, max_length=MAX_ITEMS, title=title)


def _long(title: str, description: str | None = None) -> Any:
    return Field(default=None, title=title, description=description)


class PreservationRequest(_Request):
    """Art. 42: keep stored data pending a request for mutual legal assistance."""

    kind: Literal["preservation"] = Field(title="Kind of request")
    offences: list[OffenceItem] = _offences()
    summary_of_facts: LongText = _long("Summary of the facts")
    data_items: list[DataItem] = _data_items("Data to preserve")
    link_to_offence: LongText = _long("Relationship of the data to the offence")
    necessity: LongText = _long("Why preservation is necessary")
    mla_to_follow: bool | None = Field(
        default=None, title="A request for mutual legal assistance will follow"
    )
    do_not_notify_user: bool | None = Field(default=None, title="Do not notify the user")
    preservation_days: OptionalWholeNumber = Field(
        default=None, ge=1, le=3650, title="Preservation period (days)"
    )
    time_period: Period | None = Field(default=None, title="Time span of the data")


class TrafficDisclosureRequest(_Request):
    """Art. 43: disclose enough preserved traffic data to find another provider and the path."""

    kind: Literal["traffic-disclosure"] = Field(title="Kind of request")
    preservation_reference: ShortText = Field(
        default=None, title="Reference of the preservation request"
    )
    offences: list[OffenceItem] = _offences()
    communication_details: LongText = _long("The communication to be traced")
    data_items: list[DataItem] = _data_items("Traffic data to disclose")
    time_period: Period | None = Field(default=None, title="Time span of the data")


class _MlaCommon(_Request):
    offences: list[OffenceItem] = _offences()
    proceeding_nature: LongText = _long(
        "Subject matter and nature of the proceeding",
        "Investigation, prosecution or judicial proceeding, and what it is about.",
    )
    conducting_authority: ShortText = Field(
        default=None, title="Authority conducting the proceeding, and its functions"
    )
    summary_of_facts: LongText = _long("Summary of the relevant facts")
    assistance_sought: LongText = _long("Assistance sought and any particular procedure")
    persons: list[Person] = Field(
        default_factory=list, max_length=MAX_ITEMS, title="Persons concerned"
    )
    time_period: Period | None = Field(default=None, title="Time period concerned")
    purpose: LongText = _long("Purpose of the evidence, information or action")
    confidential: bool = Field(default=False, title="Keep the request confidential")
    deadline: OptionalDate = Field(default=None, title="Requested deadline")
    deadline_reason: LongText = _long("Reason for the deadline")


class MlaRequest(_MlaCommon):
    """Art. 40: a general request for mutual legal assistance."""

    kind: Literal["mla"] = Field(title="Kind of request")
    assistance_type: AssistanceType | None = Field(default=None, title="Type of assistance")
    data_items: list[DataItem] = _data_items("Stored data sought (if any)")


class MlaStoredDataRequest(_MlaCommon):
    """Art. 44: search, seize and disclose stored data."""

    kind: Literal["mla-stored-data"] = Field(title="Kind of request")
    data_items: list[DataItem] = _data_items("Stored data sought")
    preservation_reference: ShortText = Field(
        default=None, title="Reference of a related preservation request"
    )


class _LiveCollection(_Request):
    offences: list[OffenceItem] = _offences()
    proceeding_nature: LongText = _long("Nature of the proceeding")
    summary_of_facts: LongText = _long("Main facts")
    data_items: list[DataItem] = _data_items("Communications concerned")
    link_to_offence: LongText = _long("Relationship of the data to the offence")
    necessity: LongText = _long("Why the collection is needed")
    collection_period: Period | None = Field(default=None, title="Collection period")
    period_justification: LongText = _long("Why the collection must last that long")


class RealtimeTrafficRequest(_LiveCollection):
    """Art. 45: collect traffic data in real time."""

    kind: Literal["realtime-traffic"] = Field(title="Kind of request")


class InterceptionRequest(_LiveCollection):
    """Art. 46: intercept content data."""

    kind: Literal["interception"] = Field(title="Kind of request")
    authorisation_reference: ShortText = Field(
        default=None, title="Reference of the requesting State's authorisation"
    )


class ExtraditionRequest(_Request):
    """Art. 37: surrender of a person."""

    kind: Literal["extradition"] = Field(title="Kind of request")
    person_sought: Person = Field(default_factory=Person, title="Person sought")
    offences: list[OffenceItem] = _offences()
    summary_of_facts: LongText = _long("Summary of the facts")
    warrant_reference: ShortText = Field(default=None, title="Arrest warrant or judgment")
    warrant_issued_by: ShortText = Field(default=None, title="Issued by")
    provisional_arrest: bool = Field(default=False, title="Provisional arrest requested")
    legal_basis: ShortText = Field(
        default=None,
        title="Legal basis",
        description="Extradition treaty, or this Convention where the requested State accepts it.",
    )


class PoliceInformationRequest(_Request):
    """Art. 47: police-to-police information exchange."""

    kind: Literal["police-information"] = Field(title="Kind of request")
    offences: list[OffenceItem] = _offences()
    summary_of_facts: LongText = _long("Background of the inquiry")
    information_sought: LongText = _long("Information sought")
    persons: list[Person] = Field(
        default_factory=list, max_length=MAX_ITEMS, title="Persons concerned"
    )
    handling_restrictions: ShortText = Field(default=None, title="Handling restrictions")


class SpontaneousInformation(_Request):
    """Arts. 40 and 51: information sent without a request. The requesting fields name the
    sending State and authority."""

    kind: Literal["spontaneous-information"] = Field(title="Kind of request")
    offences: list[OffenceItem] = _offences()
    information: LongText = _long("Information transmitted")
    reason: LongText = _long("Why it may help the receiving State")
    relates_to_proceeds: bool = Field(default=False, title="Concerns proceeds of crime")
    property_items: list[PropertyItem] = Field(
        default_factory=list, max_length=MAX_ITEMS, title="Proceeds or property"
    )
    use_conditions: LongText = _long("Conditions on confidentiality or use")


class ConfiscationRequest(_Request):
    """Art. 50: trace, freeze, seize or confiscate property."""

    kind: Literal["confiscation"] = Field(title="Kind of request")
    measure: ConfiscationMeasure | None = Field(default=None, title="Measure requested")
    offences: list[OffenceItem] = _offences()
    summary_of_facts: LongText = _long("Facts")
    property_items: list[PropertyItem] = Field(
        default_factory=list, max_length=MAX_ITEMS, title="Property"
    )
    assistance_sought: LongText = _long("Actions sought and extent of execution")
    order_reference: ShortText = Field(default=None, title="Order (copy attached) reference")
    order_issued_by: ShortText = Field(default=None, title="Order issued by")
    third_party_protection: LongText = _long("Notice to bona fide third parties and due process")


RequestDocument: TypeAlias = Annotated[
    PreservationRequest
    | TrafficDisclosureRequest
    | MlaRequest
    | MlaStoredDataRequest
    | RealtimeTrafficRequest
    | InterceptionRequest
    | ExtraditionRequest
    | PoliceInformationRequest
    | SpontaneousInformation
    | ConfiscationRequest,
    Field(discriminator="kind"),
]

_MODELS: dict[str, type[_Request]] = {
    "preservation": PreservationRequest,
    "traffic-disclosure": TrafficDisclosureRequest,
    "mla": MlaRequest,
    "mla-stored-data": MlaStoredDataRequest,
    "realtime-traffic": RealtimeTrafficRequest,
    "interception": InterceptionRequest,
    "extradition": ExtraditionRequest,
    "police-information": PoliceInformationRequest,
    "spontaneous-information": SpontaneousInformation,
    "confiscation": ConfiscationRequest,
}
if tuple(_MODELS) != KINDS:  # a new instrument needs a document model, in the same order
    raise RuntimeError("document models must follow the Convention's instrument order")

_ADAPTER: TypeAdapter[RequestDocument] = TypeAdapter(RequestDocument)

__all__ = [
    "KINDS",
    "MAX_DOCUMENT_BYTES",
    "Authority",
    "ConfiscationRequest",
    "DataItem",
    "ExtraditionRequest",
    "InterceptionRequest",
    "MlaRequest",
    "MlaStoredDataRequest",
    "OffenceItem",
    "Period",
    "Person",
    "PoliceInformationRequest",
    "PreservationRequest",
    "PropertyItem",
    "RealtimeTrafficRequest",
    "RequestDocument",
    "SpontaneousInformation",
    "TrafficDisclosureRequest",
    "document_model",
    "new_document",
    "parse_document",
    "parse_document_obj",
    "unwrap_optional",
]


def unwrap_optional(annotation: Any) -> Any:
    """``X | None`` -> ``X``, as the checker and the letters read a document field's type;
    any other annotation as it is."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def document_model(kind: str) -> type[BaseModel]:
    """The model class for one kind; ``UnknownInstrumentError`` lists the valid kinds."""
    try:
        return _MODELS[kind]
    except (KeyError, TypeError):
        raise UnknownInstrumentError(kind, KINDS) from None


def new_document(
    kind: str, *, requesting_state: str | None = None, requested_state: str | None = None
) -> BaseModel:
    """A blank draft of ``kind`` dated today, for a form to start from."""
    model = document_model(kind)
    try:
        return model.model_validate(
            {
                "kind": kind,
                "requesting_state": requesting_state,
                "requested_state": requested_state,
                "date_of_request": date.today(),
            }
        )
    except ValidationError as exc:
        _raise_from_validation(exc)


def parse_document(raw: bytes | str) -> RequestDocument:
    """Parse a JSON request document; raise ``DocumentError`` with a one-line message.

    Refused before validation: more than 1 MiB, not UTF-8, not standard JSON, nested
    deeper than :data:`~hanoi.crypto.canonical.MAX_JSON_DEPTH`, or a key twice in one
    object (which of the two a reader keeps differs between JSON libraries, so a checked
    document could be read otherwise elsewhere)."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            f"document is {len(data):,} bytes; the limit is {MAX_DOCUMENT_BYTES:,} (1 MiB)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not valid UTF-8 at byte {exc.start}") from None
    try:
        obj = parse_json(text, unique_keys=True)
    except MalformedJSON as exc:
        # "not JSON: line 3 column 13: ..." reads "not valid JSON: ..." here, as it always has.
        raise DocumentError(str(exc).replace("not JSON", "not valid JSON", 1)) from None
    return parse_document_obj(obj)


def parse_document_obj(obj: object) -> RequestDocument:
    """Validate an already-decoded JSON value as a request document."""
    if not isinstance(obj, dict):
        raise DocumentError(f"a request document must be a JSON object, not {_json_type(obj)}")
    kind = obj.get("kind")
    if kind is None:
        raise DocumentError(
            f"missing field 'kind'; expected one of: {', '.join(KINDS)}",
            [("kind", "missing field")],
        )
    if not isinstance(kind, str) or kind not in _MODELS:
        raise DocumentError(
            f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}",
            [("kind", f"unknown kind {kind!r}")],
        )
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as exc:
        _raise_from_validation(exc, strip_tag=True)


def _json_type(obj: object) -> str:
    if isinstance(obj, list):
        return "an array"
    if isinstance(obj, str):
        return "a string"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, int | float):
        return "a number"
    if obj is None:
        return "null"
    return type(obj).__name__


def _raise_from_validation(exc: ValidationError, *, strip_tag: bool = False) -> NoReturn:
    issues: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = list(error["loc"])
        if strip_tag and loc:
            loc = loc[1:]  # the discriminated union puts the kind first
        path = ".".join(str(part) for part in loc)
        if error["type"] == "extra_forbidden":
            parent = ".".join(str(part) for part in loc[:-1])
            where = f" at {parent}" if parent else ""
            message = f"unknown field {str(loc[-1])!r}{where}"
        else:
            text = " ".join(str(error["msg"]).split())
            message = f"{path}: {text}" if path else text
        issues.append((path, message))
    summary = issues[0][1]
    if len(issues) > 1:
        summary += f" (and {len(issues) - 1} more problem{'s' if len(issues) > 2 else ''})"
    raise DocumentError(summary, issues) from None
