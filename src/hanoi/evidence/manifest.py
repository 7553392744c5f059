"""The manifest of an evidence package: what was sealed, by whom, for whom, and its hashes.

``manifest.json`` is RFC 8785 canonical JSON; ``manifest.jws`` is a detached Ed25519
signature over exactly those bytes by the sealing node (:mod:`hanoi.crypto.detached`). A
verifier checks the signature over the file as it is, and only then reads it: a manifest
edited after signing fails before any of its content is believed.

File names are kept as given, but only plain names are accepted: no folders, no ``..``, no
control characters, nothing a careless extraction could turn into a path outside the
package. The payload of file ``index`` is ``payload/NNNN.age``.

A file that is the first segment of an EWF (``.E01``) image also carries ``forensic_image``:
what the image says about itself (stored hashes, case metadata) and what its media data
hashed to when it was sealed. Other files have no such key at all, not even ``null``, so
the bytes of a manifest without images are what they were before images were recorded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from hanoi.crypto.canonical import canonical_json, parse_json
from hanoi.crypto.detached import sign_detached, verify_detached
from hanoi.crypto.keys import SigningKey
from hanoi.errors import VerificationFailed
from hanoi.evidence.errors import EvidenceError

MANIFEST_FORMAT = "hanoi.evidence-manifest/1"
MANIFEST_TYP = "hanoi-evidence-manifest+jws"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_FILES = 9999
MAX_NAME_BYTES = 255
MAX_IMAGE_TEXT = 4096
"""Characters of one case-metadata value of a forensic image (notes can be long)."""

_HEX32 = r"^[0-9a-f]{32}$"
_HEX40 = r"^[0-9a-f]{40}$"
_HEX64 = r"^[0-9a-f]{64}$"
_MEDIA_TYPE = r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$"
_REFERENCE = r"^[A-Z]{2}-[0-9]{4}-[0-9]{6}$"
_AUTHORITY = r"^[A-Z]{2}-[A-Z0-9-]{1,30}$"
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


class ManifestError(EvidenceError, VerificationFailed):
    """A manifest that is malformed, or whose signature does not hold."""


def _plain_name(name: str) -> str:
    if unicodedata.normalize("NFC", name) != name:
        raise ValueError("a file name must be in Unicode NFC form")
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise ValueError("a file name is a plain name: no folder, '.', '..' or separators")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name):
        raise ValueError("a file name may not contain control or invisible formatting characters")
    if name != name.strip():
        raise ValueError("a file name may not start or end with spaces")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValueError(f"a file name is at most {MAX_NAME_BYTES} bytes of UTF-8")
    return name


def _utc_time(value: str) -> str:
    if not _TIME.fullmatch(value):
        raise ValueError("a time is RFC 3339 in UTC, like 2026-11-29T10:15:00Z")
    datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")  # a real calendar time
    return value


def _image_text(value: str) -> str:
    # Header values are printed and put in the custody graph: no control characters, but
    # EWF2 notes may hold line breaks and tabs.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in "\t\n" for c in value):
        raise ValueError("an image metadata value may not contain control characters")
    return value


#: The rule for a name in a package, for those that take names before sealing (staging).
plain_name = _plain_name
PlainName = Annotated[str, AfterValidator(_plain_name)]
UtcTime = Annotated[str, AfterValidator(_utc_time)]
Hex32 = Annotated[str, Field(pattern=_HEX32)]
Hex40 = Annotated[str, Field(pattern=_HEX40)]
Hex64 = Annotated[str, Field(pattern=_HEX64)]
ImageText = Annotated[
    str, Field(min_length=1, max_length=MAX_IMAGE_TEXT), AfterValidator(_image_text)
]
ImageMetadataKey = Literal[
    "case_number",
    "evidence_number",
    "examiner_name",
    "description",
    "notes",
    "acquiry_date",
    "system_date",
    "acquiry_operating_system",
    "acquiry_software_version",
    "model",
    "serial_number",
    "device_label",
]
"""libewf's names of the header values kept; ``hanoi.evidence.ewf`` reads these and no others."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class StoredHashes(_Model):
    """The hashes the acquisition tool stored in the image, as stored: any may be absent
    (EnCase 6 stores MD5 and SHA-1 at most, some tools none)."""

    md5: Hex32 | None = None
    sha1: Hex40 | None = None
    sha256: Hex64 | None = None


class MediaHashes(_Model):
    """The hashes of the media data, computed by reading the image when it was sealed."""

    md5: Hex32
    sha1: Hex40
    sha256: Hex64


class ForensicImage(_Model):
    """An EWF image: what it says about itself, and whether its media data still agrees."""

    format: Literal["ewf"] = "ewf"
    segments: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_FILES)]], Field(min_length=1, max_length=MAX_FILES)
    ]
    """The package's files holding the image's segments (``.E01``, ``.E02`` ...), in order."""
    media_size: Annotated[int, Field(ge=0)]
    stored: StoredHashes
    computed: MediaHashes
    verified: bool
    """Every stored hash equals the computed one, and at least one was stored."""
    metadata: dict[ImageMetadataKey, ImageText]

    @model_validator(mode="after")
    def _verdict_follows_the_hashes(self) -> ForensicImage:
        stored = {k: v for k, v in self.stored.model_dump().items() if v is not None}
        computed = self.computed.model_dump()
        if self.verified != (bool(stored) and all(computed[k] == v for k, v in stored.items())):
            raise ValueError("verified must say whether the stored hashes equal the computed ones")
        return self

    def mismatches(self) -> list[str]:
        """The names (``md5``, ``sha1``, ``sha256``) of the stored hashes that differ."""
        computed = self.computed.model_dump()
        return [k for k, v in self.stored.model_dump().items() if v not in (None, computed[k])]


class ManifestFile(_Model):
    index: Annotated[int, Field(ge=1, le=MAX_FILES)]
    name: PlainName
    size: Annotated[int, Field(ge=0)]
    media_type: Annotated[str, Field(pattern=_MEDIA_TYPE)]
    sha256: Hex64
    """Of the plaintext: what the court compares with the original."""
    ciphertext_size: Annotated[int, Field(ge=0)]
    ciphertext_sha256: Hex64
    """Of ``payload/NNNN.age``: checkable without the key."""
    forensic_image: ForensicImage | None = None
    """Only on the first segment of an EWF image."""

    @model_serializer(mode="wrap")
    def _without_absent_image(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent, not null: manifests of other files keep the bytes (and signatures) they had.
        data: dict[str, Any] = handler(self)
        if data.get("forensic_image") is None:
            data.pop("forensic_image", None)
        return data

    @property
    def payload_path(self) -> str:
        return f"payload/{self.index:04d}.age"


class Sealer(_Model):
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    authority: Annotated[str, Field(pattern=_AUTHORITY)]
    officer: Annotated[str, Field(min_length=1, max_length=64)]
    node_kid: Annotated[str, Field(min_length=43, max_length=100)]


class Recipient(_Model):
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    authority: Annotated[str, Field(pattern=_AUTHORITY)] | None = None
    age_recipient: Annotated[str, Field(pattern=r"^age1[0-9a-z]{58}$")]


class Manifest(_Model):
    format: Literal["hanoi.evidence-manifest/1"] = "hanoi.evidence-manifest/1"
    package_id: Annotated[str, Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
    request: Annotated[str, Field(pattern=_REFERENCE)] | None = None
    sealed_by: Sealer
    sealed_at: UtcTime
    recipient: Recipient
    files: Annotated[list[ManifestFile], Field(min_length=1, max_length=MAX_FILES)]

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        indexes = [f.index for f in self.files]
        if indexes != list(range(1, len(self.files) + 1)):
            raise ValueError("files are numbered 1, 2, 3 ... in order")
        names = [f.name.casefold() for f in self.files]
        if len(set(names)) != len(names):
            raise ValueError("two files have the same name (ignoring case)")
        in_images = [n for f in self.files if f.forensic_image for n in f.forensic_image.segments]
        for entry in self.files:
            image = entry.forensic_image
            if image is None:
                continue
            if image.segments[0] != entry.index:
                raise ValueError("an image's first segment is the file that describes it")
            if not set(image.segments) <= set(indexes):
                raise ValueError("an image names a segment that is not a file of the package")
        if len(set(in_images)) != len(in_images):
            raise ValueError("a file is a segment of two images, or twice of one")
        return self

    def to_bytes(self) -> bytes:
        """The RFC 8785 bytes that are signed and written as ``manifest.json``."""
        return canonical_json(self.model_dump(mode="json"))


def format_utc(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError("a naive time: pass a timezone-aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_manifest(data: bytes) -> Manifest:
    """A manifest from its bytes, refused with :class:`ManifestError` naming the first
    problem. Only canonical bytes are accepted: what is signed is what is read."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"manifest.json: larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        raw = parse_json(data, unique_keys=True)
    except ValueError as exc:
        raise ManifestError(f"manifest.json: {exc}") from None
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(document)"
        raise ManifestError(f"manifest.json: {where}: {error['msg']}") from None
    if manifest.to_bytes() != data:
        raise ManifestError("manifest.json: not in RFC 8785 canonical form")
    return manifest


def sign_manifest(
    manifest: Manifest, signing_key: SigningKey | tuple[Ed25519PrivateKey, str]
) -> tuple[bytes, str]:
    """``(manifest.json bytes, manifest.jws text)`` signed by the sealing node."""
    data = manifest.to_bytes()
    _, kid = signing_key
    if kid != manifest.sealed_by.node_kid:
        raise ManifestError("the manifest names another node key than the one signing it")
    return data, sign_detached(data, typ=MANIFEST_TYP, signing_key=signing_key)


def verify_manifest(
    data: bytes, signature: str | bytes, *, keys_for: Callable[[str], Sequence[Ed25519PublicKey]]
) -> Manifest:
    """Check ``manifest.jws`` over the bytes of ``manifest.json``, then read them.

    ``keys_for(kid)`` gives the sealing node's keys: from the directory (the sealing State's
    keys valid at the sealing time) or one key given for offline use. The kid in the
    signature must be the one the manifest names.
    """
    kid = verify_detached(signature, data, typ=MANIFEST_TYP, keys_for=keys_for)
    manifest = parse_manifest(data)
    if manifest.sealed_by.node_kid != kid:
        raise ManifestError("manifest.jws: signed by another key than the manifest names")
    return manifest
