"""A node's key material: an Ed25519 signing key, an X25519 encryption key and an age identity.

Everything lives in ``<home>/keys/`` (folder 0700, files 0600)::

    keyring.json            every signing and encryption key ever made: kid, kind, status,
                            dates and public JWK; the age recipient; whether keys are
                            passphrase-protected. Public information only.
    <kind>-<kid>.jwk        a private JWK (JSON), when the keys are not protected
    <kind>-<kid>.jwe              the same JWK encrypted under a passphrase (JWE, PBES2)
    age-identity.txt        the age identity in age-keygen's format, when not protected
    age-identity.txt.age    the same file encrypted under the passphrase (age scrypt)

Key ids are RFC 7638 JWK thumbprints (SHA-256, base64url). A signing key is ``active``
(signs and verifies), then after :meth:`KeyStore.rotate` in ``grace`` until its
``not_after`` (verifies only), then ``retired``; :meth:`KeyStore.revoke` makes any key
``revoked`` at once. Whether a key may verify a signature depends only on the dates, see
:meth:`KeyRecord.verifies_at`.

Opening the keys needs only ``cryptography``: the key files are read and written as JSON
by :mod:`hanoi.crypto.jwk`, so every command that opens the node opens its keys without
JOSE. joserfc (some 0.09 s to import, X.509 with it) is imported where a JOSE object is
made, and only there: a key as a joserfc JWK (:meth:`KeyRecord.public_key`,
:meth:`SigningKey.jwk`), asked for by the code that signs or encrypts JOSE messages, which
has loaded joserfc itself; and a private key under a passphrase (JWE), which only a
protected key store reads or writes.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast, get_args

import pyrage  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from hanoi.crypto.errors import KeyStoreError
from hanoi.crypto.jwk import b64url, b64url_decode, okp_thumbprint
from hanoi.files import create_file, locked, private_dir, replace_file

if TYPE_CHECKING:
    from joserfc.jwk import OctKey, OKPKey

KeyKind = Literal["signing", "encryption"]
KeyStatus = Literal["active", "grace", "retired", "revoked"]
KEY_KINDS: tuple[KeyKind, ...] = get_args(KeyKind)

DEFAULT_GRACE = timedelta(days=30)
KEYRING_FORMAT = "hanoi-keyring/1"
KEYRING_FILE = "keyring.json"
AGE_IDENTITY_FILE = "age-identity.txt"
AGE_PROTECTED_FILE = "age-identity.txt.age"

MIN_PASSPHRASE_CHARS = 8
MAX_PASSPHRASE_CHARS = 1024
MAX_REASON_CHARS = 500

# Private JWKs under a passphrase: PBKDF2-HMAC-SHA-512 (210,000 rounds, the OWASP figure
# for SHA-512; joserfc reads at most 300,000) wraps an AES-256-GCM content key.
_PBES2_ALG = "PBES2-HS512+A256KW"
_PBES2_ENC = "A256GCM"
_PBES2_COUNT = 210_000
_JWK_CONTENT_TYPE = "jwk+json"

# kind -> (curve, JWK "use", JWK "alg")
_JWK_PARAMETERS: dict[KeyKind, tuple[Literal["Ed25519", "X25519"], str, str]] = {
    "signing": ("Ed25519", "sig", "Ed25519"),
    "encryption": ("X25519", "enc", "ECDH-ES+A256KW"),
}
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
_AGE_SECRET = re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]+")


def jwk_thumbprint(jwk: OKPKey) -> str:
    """The RFC 7638 thumbprint of ``jwk`` (SHA-256, base64url without padding)."""
    return jwk.thumbprint()


@dataclass(frozen=True)
class KeyRecord:
    """One signing or encryption key in the keyring: public part and life cycle."""

    kid: str
    kind: KeyKind
    created: datetime
    status: KeyStatus
    public_jwk: dict[str, str]
    not_after: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None

    def verifies_at(self, at: datetime) -> bool:
        """Whether a signature made at ``at`` may be checked with this key: the key had been
        made by then, its grace period had not ended, and it had not been revoked."""
        _require_aware(at)
        if at < self.created:
            return False
        if self.not_after is not None and at >= self.not_after:
            return False
        return self.revoked_at is None or at < self.revoked_at

    def status_at(self, now: datetime) -> KeyStatus:
        """The status at ``now``: a grace period that has run out reads ``retired``."""
        if self.status == "grace" and self.not_after is not None and now >= self.not_after:
            return "retired"
        return self.status

    def public_key(self) -> OKPKey:
        """The public JWK (with ``kid``, ``use`` and ``alg``) as a joserfc key."""
        from joserfc.jwk import OKPKey  # JOSE only where asked for: see the module docstring

        return OKPKey.import_key(dict(self.public_jwk))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kid": self.kid,
            "kind": self.kind,
            "status": self.status,
            "created": format_time(self.created),
            "not_after": _format_optional(self.not_after),
            "revoked_at": _format_optional(self.revoked_at),
            "revocation_reason": self.revocation_reason,
            "jwk": self.public_jwk,
        }
        return data

    @classmethod
    def from_json(cls, data: Any) -> KeyRecord:
        if not isinstance(data, dict):
            raise ValueError("a key entry is not an object")
        kid, kind, status = data.get("kid"), data.get("kind"), data.get("status")
        if not isinstance(kid, str) or not _KID.fullmatch(kid):
            raise ValueError("a key entry has no valid kid")
        if kind not in KEY_KINDS:
            raise ValueError(f"key {kid} has an unknown kind")
        if status not in get_args(KeyStatus):
            raise ValueError(f"key {kid} has an unknown status")
        jwk = data.get("jwk")
        if not isinstance(jwk, dict) or "d" in jwk:
            raise ValueError(f"key {kid} has no public JWK")
        public = {str(k): str(v) for k, v in jwk.items()}
        crv = _okp_curve(public, kid)
        if okp_thumbprint(crv, public["x"]) != kid:
            raise ValueError(f"key {kid}: the JWK does not match its kid")
        if crv != _JWK_PARAMETERS[kind][0]:
            raise ValueError(f"key {kid}: wrong curve for a {kind} key")
        return cls(
            kid=kid,
            kind=kind,
            status=cast(KeyStatus, status),
            created=parse_time(data.get("created")),
            not_after=_parse_optional(data.get("not_after")),
            revoked_at=_parse_optional(data.get("revoked_at")),
            revocation_reason=_optional_str(data.get("revocation_reason")),
            public_jwk=public,
        )


@dataclass(frozen=True)
class AgeInfo:
    recipient: str
    created: datetime


@dataclass(frozen=True)
class Keyring:
    """The content of ``keyring.json``."""

    protected: bool
    age: AgeInfo
    keys: tuple[KeyRecord, ...]

    def find(self, kid: str) -> KeyRecord:
        for record in self.keys:
            if record.kid == kid:
                return record
        raise KeyStoreError(f"no key with kid {_shown(kid)} in the keyring", check="unknown-key")

    def active(self, kind: KeyKind) -> KeyRecord | None:
        return next((r for r in self.keys if r.kind == kind and r.status == "active"), None)

    def with_record(self, record: KeyRecord) -> Keyring:
        keys = tuple(record if r.kid == record.kid else r for r in self.keys)
        if record.kid not in {r.kid for r in self.keys}:
            keys += (record,)
        return replace(self, keys=keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KEYRING_FORMAT,
            "protected": self.protected,
            "age": {"recipient": self.age.recipient, "created": format_time(self.age.created)},
            "keys": [r.to_json() for r in self.keys],
        }

    @classmethod
    def from_json(cls, data: Any) -> Keyring:
        if not isinstance(data, dict) or data.get("format") != KEYRING_FORMAT:
            raise ValueError(f"not a {KEYRING_FORMAT} document")
        age, keys = data.get("age"), data.get("keys")
        if not isinstance(age, dict) or not isinstance(age.get("recipient"), str):
            raise ValueError("no age recipient")
        if not isinstance(keys, list):
            raise ValueError("no key list")
        if not isinstance(data.get("protected"), bool):
            raise ValueError("'protected' is not true or false")
        records = tuple(KeyRecord.from_json(k) for k in keys)
        if len({r.kid for r in records}) != len(records):
            raise ValueError("a kid appears twice")
        for kind in KEY_KINDS:
            if sum(1 for r in records if r.kind == kind and r.status == "active") > 1:
                raise ValueError(f"more than one active {kind} key")
        return cls(
            protected=data["protected"],
            age=AgeInfo(recipient=age["recipient"], created=parse_time(age.get("created"))),
            keys=records,
        )


class SigningKey(NamedTuple):
    """The active private Ed25519 key and its kid."""

    key: Ed25519PrivateKey
    kid: str

    def jwk(self) -> OKPKey:
        """The private key as a joserfc JWK carrying ``kid``, ``use`` and ``alg``."""
        return _private_jwk(self.key, "signing", self.kid)


class EncryptionKey(NamedTuple):
    """A private X25519 key and its kid."""

    key: X25519PrivateKey
    kid: str

    def jwk(self) -> OKPKey:
        """The private key as a joserfc JWK carrying ``kid``, ``use`` and ``alg``."""
        return _private_jwk(self.key, "encryption", self.kid)


class KeyStore:
    """The keys of the node whose folder is ``home`` (they live in ``home/keys``)."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.directory = self.home / "keys"

    # --- paths ---------------------------------------------------------------------------

    @property
    def keyring_path(self) -> Path:
        return self.directory / KEYRING_FILE

    @property
    def age_identity_path(self) -> Path:
        """Where the age identity is: ``age-identity.txt``, or ``.txt.age`` if protected."""
        name = AGE_PROTECTED_FILE if self.keyring().protected else AGE_IDENTITY_FILE
        return self.directory / name

    def exists(self) -> bool:
        return self.keyring_path.exists()

    # --- creating ------------------------------------------------------------------------

    def init(self, passphrase: str | None = None, *, now: datetime | None = None) -> Keyring:
        """Make a signing key, an encryption key and an age identity.

        With a ``passphrase`` (8 to 1024 characters) every private key is stored encrypted
        under it. Refuses with :class:`KeyStoreError` if the keys folder holds any file.
        """
        moment = _now(now)
        if passphrase is not None:
            _check_passphrase(passphrase)
        private_dir(self.home)
        private_dir(self.directory)
        with locked(self._lock_path):
            if any(not p.name.startswith(".") for p in self.directory.iterdir()):
                raise KeyStoreError(
                    f"{self.directory} already holds keys: refusing to replace them"
                )
            records = tuple(self._new_key(kind, moment, passphrase) for kind in KEY_KINDS)
            age = self._new_age_identity(moment, passphrase)
            keyring = Keyring(protected=passphrase is not None, age=age, keys=records)
            self._save(keyring, replace=False)
        return keyring

    # --- reading -------------------------------------------------------------------------

    def keyring(self) -> Keyring:
        """The keyring as stored; :class:`KeyStoreError` if missing or damaged."""
        try:
            raw = self.keyring_path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(f"no keys in {self.directory}: initialise the node first") from None
        try:
            return Keyring.from_json(json.loads(raw))
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(f"{self.keyring_path} is damaged: {_one_line(exc)}") from None

    def records(self) -> tuple[KeyRecord, ...]:
        return self.keyring().keys

    def public_jwks(self, now: datetime | None = None) -> dict[str, Any]:
        """A JWK Set of every signing and encryption key, public parts only, each with its
        ``status`` at ``now`` and its dates. Revocation reasons stay in the keyring."""
        moment = _now(now)
        keys = []
        for record in self.records():
            entry: dict[str, Any] = dict(record.public_jwk)
            entry["status"] = record.status_at(moment)
            entry["created"] = format_time(record.created)
            if record.not_after is not None:
                entry["not_after"] = format_time(record.not_after)
            if record.revoked_at is not None:
                entry["revoked_at"] = format_time(record.revoked_at)
            keys.append(entry)
        return {"keys": keys}

    def active_kid(self, kind: KeyKind) -> str | None:
        record = self.keyring().active(_check_kind(kind))
        return record.kid if record else None

    def signing_key(self, passphrase: str | None = None) -> SigningKey:
        """The active Ed25519 key, the only key that signs."""
        keyring = self.keyring()
        record = self._require_active(keyring, "signing")
        key = self._load_private(keyring, record, passphrase)
        assert isinstance(key, Ed25519PrivateKey)
        return SigningKey(key, record.kid)

    def encryption_key(
        self, passphrase: str | None = None, *, kid: str | None = None
    ) -> EncryptionKey:
        """The active X25519 key, or with ``kid`` an older one (to open what was sent to it)."""
        keyring = self.keyring()
        if kid is None:
            record = self._require_active(keyring, "encryption")
        else:
            record = keyring.find(kid)
            if record.kind != "encryption":
                raise KeyStoreError(
                    f"key {record.kid} is not an encryption key", check="unknown-key"
                )
        key = self._load_private(keyring, record, passphrase)
        assert isinstance(key, X25519PrivateKey)
        return EncryptionKey(key, record.kid)

    def verification_keys(self, at: datetime) -> list[OKPKey]:
        """Public signing keys that may verify a signature made at ``at``: keys active or in
        their grace period at that time and not revoked before it.

        ``at`` must come from something the verifier trusts (a receipt, a log entry): the
        holder of a stolen key can write any time into what it signs.
        """
        _require_aware(at)
        return [r.public_key() for r in self.records() if r.kind == "signing" and r.verifies_at(at)]

    def age_recipient(self) -> str:
        """The ``age1...`` recipient others encrypt evidence to."""
        return self.keyring().age.recipient

    def age_identity(self, passphrase: str | None = None) -> Any:
        """The age identity (a ``pyrage.x25519.Identity``) for decrypting with pyrage."""
        keyring = self.keyring()
        if keyring.protected:
            data = self._read(self.directory / AGE_PROTECTED_FILE)
            text = _age_passphrase_decrypt(data, _require_passphrase(passphrase))
        else:
            _refuse_passphrase(passphrase)
            text = self._read(self.directory / AGE_IDENTITY_FILE)
        match = _AGE_SECRET.search(text.decode("ascii", "replace"))
        if match is None:
            raise KeyStoreError("the age identity file holds no AGE-SECRET-KEY line")
        try:
            identity = pyrage.x25519.Identity.from_str(match.group(0))
        except (pyrage.IdentityError, ValueError):
            raise KeyStoreError("the age identity file holds an unreadable key") from None
        if str(identity.to_public()) != keyring.age.recipient:
            raise KeyStoreError("the age identity does not match the recipient in the keyring")
        return identity

    # --- rotation and revocation ---------------------------------------------------------

    def rotate(
        self,
        kind: KeyKind,
        grace: timedelta = DEFAULT_GRACE,
        now: datetime | None = None,
        *,
        passphrase: str | None = None,
    ) -> KeyRecord:
        """Make a new active ``kind`` key; the old active one verifies (or, for encryption,
        still receives) until ``now + grace`` and never signs again.

        An old signing key's private part is deleted: nothing may sign with it. An old
        encryption key's private part is kept, to open what was encrypted to it. On a
        protected store the ``passphrase`` must open the current key.
        """
        _check_kind(kind)
        moment = _now(now)
        if grace < timedelta(0):
            raise KeyStoreError("the grace period cannot be negative")
        with locked(self._lock_path):
            keyring = self.keyring()
            if keyring.protected:
                _require_passphrase(passphrase)
                self._check_same_passphrase(keyring, cast(str, passphrase))
            else:
                _refuse_passphrase(passphrase)
            keyring = self._retire(keyring, moment)
            old = keyring.active(kind)
            new = self._new_key(kind, moment, passphrase)
            if old is not None:
                not_after = moment + grace
                status: KeyStatus = "grace" if not_after > moment else "retired"
                keyring = keyring.with_record(replace(old, status=status, not_after=not_after))
            self._save(keyring.with_record(new), replace=True)
            if old is not None and kind == "signing":
                self._delete_private(old)
        return new

    def retire_expired(self, now: datetime | None = None) -> list[str]:
        """Mark keys whose grace period has ended as ``retired``; returns their kids."""
        moment = _now(now)
        with locked(self._lock_path):
            before = self.keyring()
            after = self._retire(before, moment)
            retired = [
                new.kid for old, new in zip(before.keys, after.keys, strict=True) if old != new
            ]
            if retired:
                self._save(after, replace=True)
        return retired

    def revoke(self, kid: str, reason: str, now: datetime | None = None) -> KeyRecord:
        """Revoke a key at once: from ``now`` on it verifies nothing and, if it signed,
        its private part is deleted. A revoked active key leaves no active key of its
        kind until the next :meth:`rotate`."""
        moment = _now(now)
        reason = " ".join(reason.split())
        if not reason:
            raise KeyStoreError("a revocation needs a reason")
        if len(reason) > MAX_REASON_CHARS:
            raise KeyStoreError(f"the reason is longer than {MAX_REASON_CHARS} characters")
        with locked(self._lock_path):
            keyring = self.keyring()
            record = keyring.find(kid)
            if record.status == "revoked":
                raise KeyStoreError(f"key {record.kid} is already revoked")
            revoked = replace(record, status="revoked", revoked_at=moment, revocation_reason=reason)
            self._save(keyring.with_record(revoked), replace=True)
            if record.kind == "signing":
                self._delete_private(record)
        return revoked

    # --- internals -----------------------------------------------------------------------

    @property
    def _lock_path(self) -> Path:
        return self.directory / ".lock"

    def _private_path(self, record: KeyRecord, protected: bool) -> Path:
        # Kind first: a kid may start with "-", which a shell command would take for an option.
        return self.directory / f"{record.kind}-{record.kid}.{'jwe' if protected else 'jwk'}"

    def _new_key(self, kind: KeyKind, moment: datetime, passphrase: str | None) -> KeyRecord:
        key = Ed25519PrivateKey.generate() if kind == "signing" else X25519PrivateKey.generate()
        jwk = _jwk_of(key, kind)
        private = json.dumps(jwk, sort_keys=True).encode()
        if passphrase is not None:
            private = _seal_jwk(private, passphrase)
        public = {k: v for k, v in jwk.items() if k != "d"}
        record = KeyRecord(
            kid=jwk["kid"], kind=kind, created=moment, status="active", public_jwk=public
        )
        create_file(self._private_path(record, passphrase is not None), private)
        return record

    def _new_age_identity(self, moment: datetime, passphrase: str | None) -> AgeInfo:
        identity = pyrage.x25519.Identity.generate()
        recipient = str(identity.to_public())
        text = age_keygen_text(str(identity), recipient, moment).encode("ascii")
        if passphrase is None:
            create_file(self.directory / AGE_IDENTITY_FILE, text)
        else:
            sealed = bytes(pyrage.passphrase.encrypt(text, passphrase))
            create_file(self.directory / AGE_PROTECTED_FILE, sealed)
        return AgeInfo(recipient=recipient, created=moment)

    def _save(self, keyring: Keyring, *, replace: bool) -> None:
        data = json.dumps(keyring.to_json(), indent=2, sort_keys=True).encode() + b"\n"
        if replace:
            replace_file(self.keyring_path, data)
        else:
            create_file(self.keyring_path, data)

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(f"{path} is missing") from None

    def _require_active(self, keyring: Keyring, kind: KeyKind) -> KeyRecord:
        record = keyring.active(kind)
        if record is None:
            raise KeyStoreError(f"there is no active {kind} key: rotate to make a new one")
        return record

    def _load_private(
        self, keyring: Keyring, record: KeyRecord, passphrase: str | None
    ) -> Ed25519PrivateKey | X25519PrivateKey:
        path = self._private_path(record, keyring.protected)
        if not path.exists():
            raise KeyStoreError(f"the private part of key {record.kid} is not kept")
        data = self._read(path)
        if keyring.protected:
            data = _open_jwk(data, _require_passphrase(passphrase))
        else:
            _refuse_passphrase(passphrase)
        try:
            jwk = json.loads(data)
            if not isinstance(jwk, dict):
                raise ValueError("not a JSON object")
            jwk = {str(k): v for k, v in jwk.items()}
            crv = _okp_curve(jwk, record.kid)
            secret = b64url_decode(jwk["d"]) if "d" in jwk else None
        except (ValueError, TypeError):
            raise KeyStoreError(f"{path} does not hold a readable JWK") from None
        if secret is None or okp_thumbprint(crv, jwk["x"]) != record.kid:
            raise KeyStoreError(f"{path} does not hold the private key {record.kid}")
        if crv != _JWK_PARAMETERS[record.kind][0] or len(secret) != 32:
            raise KeyStoreError(f"{path} holds a key of the wrong type")
        key = (
            Ed25519PrivateKey.from_private_bytes(secret)
            if record.kind == "signing"
            else X25519PrivateKey.from_private_bytes(secret)
        )
        if _jwk_of(key, record.kind)["x"] != jwk["x"]:  # "d" and "x" are not one key pair
            raise KeyStoreError(f"{path} does not hold the private key {record.kid}")
        return key

    def _check_same_passphrase(self, keyring: Keyring, passphrase: str) -> None:
        """Open one existing private key, so a rotation never mixes two passphrases."""
        for record in keyring.keys:
            if self._private_path(record, True).exists():
                self._load_private(keyring, record, passphrase)
                return

    def _delete_private(self, record: KeyRecord) -> None:
        for protected in (False, True):
            self._private_path(record, protected).unlink(missing_ok=True)

    @staticmethod
    def _retire(keyring: Keyring, moment: datetime) -> Keyring:
        keys = tuple(
            replace(r, status="retired") if r.status_at(moment) == "retired" else r
            for r in keyring.keys
        )
        return replace(keyring, keys=keys)


# --- formats -------------------------------------------------------------------------------


def age_keygen_text(secret: str, recipient: str, created: datetime) -> str:
    """An identity file exactly as ``age-keygen`` writes it (creation time in RFC 3339)."""
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"# created: {stamp}\n# public key: {recipient}\n{secret}\n"


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, e.g. ``2026-11-05T09:30:00Z``."""
    _require_aware(moment)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a time is missing")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time {value[:40]!r} has no time zone")
    return moment.astimezone(UTC)


def _format_optional(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


def _parse_optional(value: object) -> datetime | None:
    return None if value is None else parse_time(value)


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("a text field is not a string")


def _jwk_of(key: Ed25519PrivateKey | X25519PrivateKey, kind: KeyKind) -> dict[str, str]:
    """The private JWK of ``key`` as it is stored, with its thumbprint as ``kid``."""
    curve, use, alg = _JWK_PARAMETERS[kind]
    x = b64url(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    d = b64url(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    kid = okp_thumbprint(curve, x)
    return {"kty": "OKP", "crv": curve, "x": x, "d": d, "use": use, "alg": alg, "kid": kid}


def _okp_curve(jwk: dict[str, Any], kid: str) -> str:
    """The curve of an OKP JWK whose ``x`` is a 32-byte key; ``ValueError`` otherwise."""
    crv, x = jwk.get("crv"), jwk.get("x")
    if jwk.get("kty") != "OKP" or crv not in ("Ed25519", "X25519") or not isinstance(x, str):
        raise ValueError(f"key {kid} is not an Ed25519 or X25519 JWK")
    if len(b64url_decode(x)) != 32:
        raise ValueError(f"key {kid}: the JWK's x is not a 32-byte key")
    return str(crv)


# Private JWKs under a passphrase (JWE): only a protected key store reads or writes them,
# so joserfc is imported here (see the module docstring).


def _seal_jwk(private: bytes, passphrase: str) -> bytes:
    from joserfc import jwe

    header = {"alg": _PBES2_ALG, "enc": _PBES2_ENC, "p2c": _PBES2_COUNT, "cty": _JWK_CONTENT_TYPE}
    token = jwe.encrypt_compact(
        header, private, _passphrase_key(passphrase), algorithms=[_PBES2_ALG, _PBES2_ENC]
    )
    return token.encode("ascii") + b"\n"


def _open_jwk(sealed: bytes, passphrase: str) -> bytes:
    from joserfc import jwe
    from joserfc.errors import JoseError

    try:
        result = jwe.decrypt_compact(
            sealed.strip(), _passphrase_key(passphrase), algorithms=[_PBES2_ALG, _PBES2_ENC]
        )
    except JoseError:
        # AES key unwrapping or the GCM tag failed: the passphrase is not the one used.
        raise KeyStoreError(
            "wrong passphrase for the node's private keys", check="passphrase"
        ) from None
    except (ValueError, TypeError):
        raise KeyStoreError("a protected private key file is damaged") from None
    if result.plaintext is None:
        raise KeyStoreError("a protected private key file is empty")
    return result.plaintext


def _passphrase_key(passphrase: str) -> OctKey:
    from joserfc.jwk import OctKey

    with warnings.catch_warnings():
        # joserfc warns about short symmetric keys; a passphrase goes through PBKDF2 first.
        warnings.simplefilter("ignore")
        return OctKey.import_key(passphrase.encode("utf-8"))


def _age_passphrase_decrypt(sealed: bytes, passphrase: str) -> bytes:
    try:
        return bytes(pyrage.passphrase.decrypt(sealed, passphrase))
    except pyrage.DecryptError as exc:
        # rage reports a scrypt stanza that will not open as "Decryption failed"; anything
        # else (truncation, not a passphrase file) means the file itself is bad.
        if str(exc).strip().lower() == "decryption failed":
            raise KeyStoreError(
                "wrong passphrase for the age identity", check="passphrase"
            ) from None
        raise KeyStoreError("the protected age identity file is damaged") from None


def _private_jwk(key: Ed25519PrivateKey | X25519PrivateKey, kind: KeyKind, kid: str) -> OKPKey:
    from joserfc.jwk import OKPKey  # JOSE only where asked for: see the module docstring

    _, use, alg = _JWK_PARAMETERS[kind]
    return OKPKey.import_key(key, parameters={"kid": kid, "use": use, "alg": alg})


# --- checks --------------------------------------------------------------------------------


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str):
        raise KeyStoreError("the passphrase must be text")
    if not MIN_PASSPHRASE_CHARS <= len(passphrase) <= MAX_PASSPHRASE_CHARS:
        raise KeyStoreError(
            f"a passphrase needs {MIN_PASSPHRASE_CHARS} to {MAX_PASSPHRASE_CHARS} characters"
        )


def _require_passphrase(passphrase: str | None) -> str:
    if passphrase is None:
        raise KeyStoreError("the node's keys are passphrase-protected: a passphrase is needed")
    if not isinstance(passphrase, str) or not passphrase:
        raise KeyStoreError("wrong passphrase for the node's private keys", check="passphrase")
    return passphrase


def _refuse_passphrase(passphrase: str | None) -> None:
    if passphrase is not None:
        raise KeyStoreError("the node's keys are not passphrase-protected: give no passphrase")


def _check_kind(kind: str) -> KeyKind:
    for known in KEY_KINDS:
        if kind == known:
            return known
    raise KeyStoreError(f"unknown key kind {_shown(kind)}: use signing or encryption")


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    _require_aware(now)
    return now.astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")


def _shown(text: str) -> str:
    """User text in a message: one line, bounded, quoted."""
    return repr(" ".join(str(text).split())[:60])


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


__all__ = [
    "AGE_IDENTITY_FILE",
    "AGE_PROTECTED_FILE",
    "DEFAULT_GRACE",
    "KEYRING_FILE",
    "KEY_KINDS",
    "AgeInfo",
    "EncryptionKey",
    "KeyKind",
    "KeyRecord",
    "KeyStatus",
    "KeyStore",
    "Keyring",
    "SigningKey",
    "age_keygen_text",
    "format_time",
    "jwk_thumbprint",
    "parse_time",
]
