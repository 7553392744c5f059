"""A State's directory entry: what it declares about itself, signed by its own key.

The entry follows the digest's directory schema (§8): treaty status, authorities with their
contact details, hours and time zone, acceptable languages, accepted channels, declarations
and reservations with their article, and the node's endpoint and public keys. Legal facts
whose wording could not be checked against the authentic text carry ``confidence:
unconfirmed`` so nobody mistakes them for settled law.

Entries are read with :func:`parse_entry` (bounded, unknown fields and duplicate keys
refused, one-line errors) and hashed or signed as :func:`canonical_bytes` (RFC 8785), so
the same entry always has the same bytes whoever serialises it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import rfc8785
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hanoi.crypto.canonical import parse_json
from hanoi.crypto.jwk import b64url_decode, okp_thumbprint
from hanoi.directory.errors import EntryError

ENTRY_FORMAT = "hanoi.directory-entry/1"
MAX_ENTRY_BYTES = 256 * 1024

Confidence = Literal["confirmed", "unconfirmed"]
UnLanguage = Literal["ar", "zh", "en", "fr", "ru", "es"]
UN_LANGUAGES: tuple[UnLanguage, ...] = ("ar", "zh", "en", "fr", "ru", "es")
AuthorityKind = Literal[
    "central_authority", "point_of_contact_24_7", "extradition_authority", "competent_authority"
]
Channel = Literal["platform", "diplomatic", "interpol"]
Effect = Literal["not_yet", "in_effect", "ended"]

# ISO 3166-1 keeps these alpha-2 codes for users' own purposes; the demo States use XA-XC.
_USER_ASSIGNED = re.compile(r"^(AA|Q[M-Z]|X[A-Z]|ZZ)$")
_ARTICLE = re.compile(r"^Art\. (?P<number>[1-9][0-9]?)(\([0-9]{1,2}\))?(\([a-z]\))?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[0-9][0-9 ()-]{5,30}$")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ARTICLE_COUNT = 68


def is_user_assigned(code: str) -> bool:
    return _USER_ASSIGNED.match(code) is not None


#: The ISO 3166-1 alpha-2 codes, as pycountry lists them (tests/directory/test_entry.py
#: checks that they still agree). Written out so that reading an entry, as every seal does,
#: does not import pycountry: only a name an entry does not give itself loads it
#: (:mod:`hanoi.directory.country_names`).
_ISO_3166_1_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"""
ISO_3166_1 = frozenset(_ISO_3166_1_CODES.split())


def check_state_code(code: str) -> str:
    """``code`` if it is an ISO 3166-1 alpha-2 country code or a user-assigned one."""
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"State code {code!r} is not two upper-case letters")
    if not is_user_assigned(code) and code not in ISO_3166_1:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
    return code


def _check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r}") from None
    return name


#: The ISO 639-1 codes, as pycountry lists them (tests/directory/test_entry.py checks that
#: they still agree). Written out because looking one up in pycountry loads its whole
#: ISO 639-3 table, 6.5 MiB in every process that reads an entry, such as a seal's.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
    ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
    ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
    ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq
    sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
    yi yo za zh zu"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())


def _check_language(code: str) -> str:
    if code not in ISO_639_1:
        raise ValueError(f"{code!r} is not an ISO 639-1 language code")
    return code


def _check_article(ref: str) -> str:
    match = _ARTICLE.match(ref)
    if match is None:
        raise ValueError(f"article reference {ref!r} is not like 'Art. 11(3)' or 'Art. 42(3)(g)'")
    if not 1 <= int(match["number"]) <= ARTICLE_COUNT:
        raise ValueError(f"article reference {ref!r}: the Convention has {ARTICLE_COUNT} articles")
    return ref


StateCode = Annotated[str, AfterValidator(check_state_code)]
TimeZone = Annotated[str, AfterValidator(_check_time_zone)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]
ArticleRef = Annotated[str, AfterValidator(_check_article)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Line = Annotated[str, Field(min_length=1, max_length=300)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class TreatyStatus(_Model):
    """Where the State stands with the Convention (Arts. 64-65), as the depositary records it."""

    status: Literal["party", "signatory", "none"]
    signed_on: date | None = None
    instrument: Literal["ratification", "acceptance", "approval", "accession"] | None = None
    instrument_deposited_on: date | None = None
    entry_into_force_on: date | None = None
    depositary_notification: Line | None = None
    confidence: Confidence

    @model_validator(mode="after")
    def _consistent(self) -> TreatyStatus:
        if self.status == "party" and (
            self.instrument is None or self.instrument_deposited_on is None
        ):
            raise ValueError("a party needs its instrument and the date it was deposited")
        if self.status == "party" and self.instrument != "accession" and self.signed_on is None:
            raise ValueError(f"a party by {self.instrument} needs the date it signed")
        if self.status == "signatory" and (self.signed_on is None or self.instrument is not None):
            raise ValueError("a signatory has a signature date and no instrument deposited yet")
        if self.status == "none" and (self.signed_on or self.instrument):
            raise ValueError("status 'none' cannot have a signature or an instrument")
        dates = [self.signed_on, self.instrument_deposited_on, self.entry_into_force_on]
        known = [d for d in dates if d is not None]
        if known != sorted(known):
            raise ValueError("signature, deposit and entry into force must be in that order")
        return self


class Authority(_Model):
    """A designated authority (Arts. 37, 40, 41) and how and when to reach it."""

    kind: AuthorityKind
    code: Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9-]{1,30}$")] | None = None
    name: Line
    region: Line | None = None
    address: Text | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: str | None = None
    hours: Annotated[str, Field(min_length=1, max_length=200)]
    time_zone: TimeZone

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError(f"{value!r} is not an international number like '+33 1 23 45 67 89'")
        return value

    @model_validator(mode="after")
    def _round_the_clock(self) -> Authority:
        # Art. 41: the point of contact is available twenty-four hours a day, seven days a week.
        if self.kind == "point_of_contact_24_7" and self.hours != "24/7":
            raise ValueError("a 24/7 point of contact (Art. 41) must have hours '24/7'")
        return self


class Declaration(_Model):
    """A declaration, reservation or notification the State made, tied to its article."""

    kind: Literal["declaration", "reservation", "notification"]
    article: ArticleRef
    text: Text
    confidence: Confidence
    made_on: date | None = None
    depositary_notification: Line | None = None


class PublicKeyJwk(_Model):
    """A node public key: Ed25519 for signatures, X25519 for encryption; ``kid`` per RFC 7638."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519", "X25519"]
    x: str
    kid: str
    use: Literal["sig", "enc"] | None = None
    alg: Literal["Ed25519", "EdDSA", "ECDH-ES+A256KW"] | None = None
    # As a node's key store publishes them, so rotation is visible: a key in its grace
    # period still verifies older signatures but signs nothing new.
    status: Literal["active", "grace", "retired", "revoked"] | None = None
    created: datetime | None = None
    not_after: datetime | None = None
    revoked_at: datetime | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> PublicKeyJwk:
        try:
            raw = b64url_decode(self.x)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ValueError("x is not 32 bytes of unpadded base64url")
        if self.kid != okp_thumbprint(self.crv, self.x):
            raise ValueError(f"kid {self.kid!r} is not the key's RFC 7638 thumbprint")
        expected_use = "sig" if self.crv == "Ed25519" else "enc"
        if self.use is not None and self.use != expected_use:
            raise ValueError(f"a {self.crv} key has use {expected_use!r}")
        return self


class Node(_Model):
    """Where the State's node answers, and the keys it signs and receives messages with."""

    url: Annotated[str, Field(max_length=2000)]
    public_keys: Annotated[tuple[PublicKeyJwk, ...], Field(min_length=1, max_length=16)]
    age_recipient: Annotated[str, Field(pattern=r"^age1[0-9a-z]{58}$")] | None = None
    """The X25519 age recipient evidence for this State's node is sealed to."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if not parts.hostname or parts.username or parts.password or parts.query:
            raise ValueError(f"{value!r} is not a plain https:// URL")
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            raise ValueError(f"{value!r}: nodes are reached over https (http only on loopback)")
        return value

    @model_validator(mode="after")
    def _keys(self) -> Node:
        kids = [k.kid for k in self.public_keys]
        if len(set(kids)) != len(kids):
            raise ValueError("the same key is listed twice")
        if not any(k.crv == "Ed25519" for k in self.public_keys):
            raise ValueError("the node needs at least one Ed25519 signing key")
        return self


class Entry(_Model):
    """One version of one State's directory entry."""

    format: Literal["hanoi.directory-entry/1"]
    code: StateCode
    version: Annotated[int, Field(ge=1)]
    effective_from: date
    valid_until: date | None = None
    fictional: bool = False
    names: dict[UnLanguage, Line] = Field(default_factory=dict)
    treaty: TreatyStatus
    authorities: Annotated[tuple[Authority, ...], Field(min_length=1, max_length=100)]
    languages: Annotated[tuple[LanguageCode, ...], Field(min_length=1, max_length=20)]
    channels: Annotated[tuple[Channel, ...], Field(min_length=1)]
    declarations: Annotated[tuple[Declaration, ...], Field(max_length=200)] = ()
    node: Node

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        if self.valid_until is not None and self.valid_until <= self.effective_from:
            raise ValueError("valid_until must come after effective_from")
        if is_user_assigned(self.code) and "en" not in self.names:
            raise ValueError(f"{self.code} is a user-assigned code: give its name in names.en")
        for field, values in (("languages", self.languages), ("channels", self.channels)):
            if len(set(values)) != len(values):
                raise ValueError(f"{field} lists the same value twice")
        codes = [a.code for a in self.authorities if a.code is not None]
        if len(set(codes)) != len(codes):
            raise ValueError("two authorities have the same code")
        if any(not c.startswith(f"{self.code}-") for c in codes):
            raise ValueError(f"authority codes start with the State code, like '{self.code}-CA'")
        return self

    def display_names(self) -> dict[UnLanguage, str]:
        """The State's name in the six UN languages: the entry's own, else pycountry's."""
        names: dict[UnLanguage, str] = {}
        for lang in UN_LANGUAGES:
            if lang in self.names:
                names[lang] = self.names[lang]
            elif not is_user_assigned(self.code):
                # pycountry only for a name the entry does not give (see ISO_3166_1).
                from hanoi.directory.country_names import country_name

                translated = country_name(self.code, lang)
                if translated is not None:
                    names[lang] = translated
        return names

    def display_name(self, lang: UnLanguage = "en") -> str:
        names = self.display_names()
        return names.get(lang) or names.get("en") or self.code

    def authorities_of(self, kind: AuthorityKind) -> tuple[Authority, ...]:
        return tuple(a for a in self.authorities if a.kind == kind)

    def effect_on(self, day: date) -> Effect:
        """Whether the entry speaks for ``day``: from ``effective_from`` through
        ``valid_until``, both days included (``valid_until`` absent: no end)."""
        if day < self.effective_from:
            return "not_yet"
        if self.valid_until is not None and day > self.valid_until:
            return "ended"
        return "in_effect"

    def in_effect(self, day: date) -> bool:
        return self.effect_on(day) == "in_effect"

    def effect_note(self, day: date) -> str | None:
        """One line saying why the entry is not in effect on ``day``; ``None`` if it is."""
        effect = self.effect_on(day)
        if effect == "not_yet":
            return f"not yet in effect: effective from {self.effective_from}"
        if effect == "ended":
            return f"no longer in effect: valid until {self.valid_until}"
        return None


#: Authority codes by kind, for entries that do not give an authority its own code.
AUTHORITY_SUFFIX = {
    "central_authority": "CA",
    "point_of_contact_24_7": "247",
    "extradition_authority": "EXT",
    "competent_authority": "CMP",
}


def authority_code(state: str, kind: str, code: str | None = None) -> str:
    """The code a message addresses an authority by: its own, or ``XB-CA``-style by kind."""
    return code or f"{state}-{AUTHORITY_SUFFIX[kind]}"


def utc_day(now: datetime | None = None) -> date:
    """The UTC calendar day of ``now`` (default: now), the day entries' windows are read in."""
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(UTC).date()


def parse_entry(data: bytes, *, source: str = "entry") -> Entry:
    """Read and validate an entry; :class:`EntryError` with one line naming ``source``."""
    return validate_entry(read_entry_object(data, source=source), source=source)


def validate_entry(raw: dict[str, Any], *, source: str = "entry") -> Entry:
    """An entry from a JSON object already read; :class:`EntryError` naming ``source``."""
    try:
        return Entry.model_validate(raw)
    except ValidationError as exc:
        raise EntryError(f"{source}: {_first_problem(exc)}") from None


def read_entry_object(data: bytes, *, source: str = "entry") -> dict[str, Any]:
    """The JSON object of an entry file (bounded, duplicate keys refused), not yet checked."""
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryError(f"{source}: larger than the {MAX_ENTRY_BYTES:,}-byte limit")
    try:
        raw = parse_json(data, unique_keys=True)
    except ValueError as exc:
        raise EntryError(f"{source}: {exc}") from None
    if not isinstance(raw, dict):
        raise EntryError(f"{source}: an entry is a JSON object")
    return raw


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def canonical_bytes(entry: Entry) -> bytes:
    """The entry as RFC 8785 canonical JSON: the bytes that are published, hashed and signed."""
    return rfc8785.dumps(entry.model_dump(mode="json", exclude_none=True))
