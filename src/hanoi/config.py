"""Where a node keeps its data and how it reaches its database.

Everything a node stores lives under ``$HANOI_HOME`` (default ``./hanoi-data``); the
database defaults to SQLite there and moves to PostgreSQL with ``HANOI_DATABASE_URL``. The
home is kept owner-only (0700) and the secret key file too (0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hanoi.errors import SetupError
from hanoi.files import create_file
from hanoi.i18n.languages import LANGUAGES, SOURCE_LANGUAGE

DEFAULT_HOME = Path("hanoi-data")
HOME_MODE = 0o700
SECRET_FILE_MODE = 0o600
# 32 random bytes, written as 64 hex characters.
SECRET_KEY_MIN_CHARS = 64
#: Witness cosignatures a proof of the node's log should carry (``HANOI_LEDGER_QUORUM``):
#: in the demo federation, the two other States.
DEFAULT_LEDGER_QUORUM = 2
MAX_LEDGER_QUORUM = 50
#: Hours without a byte arriving after which an accepted evidence offer is given up and its
#: partial uploads removed (``HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS``): long enough for a
#: sender to ride out an outage of a day or so (it gives up after about 30 failed rounds).
DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS = 48
MAX_EVIDENCE_UPLOAD_EXPIRY_HOURS = 720
_SIZE = re.compile(r"([0-9]{1,15})([KMGT]?)")
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
#: How long refusals of one kind from one address fold into one audit row after the first
#: (``HANOI_AUDIT_REFUSAL_INTERVAL``, seconds): a client refused in a loop adds two rows a
#: minute, not one per request.
DEFAULT_AUDIT_REFUSAL_INTERVAL = timedelta(seconds=60)
MAX_AUDIT_REFUSAL_SECONDS = 86400
_STATE_CODE = re.compile(r"[A-Z]{2}")
_DIGITS = re.compile(r"[0-9]{1,7}")  # ASCII only: str.isdigit() also takes "²", which int() refuses
_AUDIT_KEY_LABEL = b"hanoi/audit/username-hmac/v1"


class ConfigError(SetupError, ValueError):
    """A setting from the environment that cannot be used. Also a ``ValueError``, as callers
    expect of a bad value."""


@dataclass(frozen=True)
class HttpLimits:
    """The HTTP server's guards against slow or numerous clients (docs/operations.md).

    Each comes from the environment, in whole seconds or units: ``HANOI_HTTP_HEADER_TIMEOUT``
    (the request line and headers must arrive in this time, from their first byte or from
    the connection's opening), ``HANOI_HTTP_BODY_TIMEOUT`` (the body, from the end of the
    headers), ``HANOI_HTTP_KEEP_ALIVE`` (an idle kept-alive connection is closed after it),
    ``HANOI_HTTP_MAX_CONNECTIONS`` (connections open at once; one more is answered 503 and
    closed) and ``HANOI_HTTP_MAX_HEADER_BYTES`` (request line and headers together).
    """

    header_timeout: int = 10
    body_timeout: int = 60
    keep_alive: int = 5
    max_connections: int = 256
    max_header_bytes: int = 16 * 1024


#: Each HTTP limit's variable, field and accepted range.
_HTTP_LIMITS = (
    ("HANOI_HTTP_HEADER_TIMEOUT", "header_timeout", 1, 600),
    ("HANOI_HTTP_BODY_TIMEOUT", "body_timeout", 1, 3600),
    ("HANOI_HTTP_KEEP_ALIVE", "keep_alive", 1, 600),
    ("HANOI_HTTP_MAX_CONNECTIONS", "max_connections", 1, 100_000),
    ("HANOI_HTTP_MAX_HEADER_BYTES", "max_header_bytes", 1024, 1 << 20),
)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    ack_hours_24_7: int | None = None
    """Hours a 24/7 point has to acknowledge a request before it shows as overdue
    (``HANOI_ACK_HOURS_24_7``); ``None`` keeps the convention data's service level."""
    ledger_quorum: int = DEFAULT_LEDGER_QUORUM
    """Witness cosignatures the node gathers for its log's checkpoints, and that the proofs
    it hands out should carry (``HANOI_LEDGER_QUORUM``, 0 to 50)."""
    ledger_witnesses: tuple[str, ...] | None = None
    """The States whose witnesses are asked to cosign (``HANOI_LEDGER_WITNESSES``, comma-
    separated codes); ``None``: every other State in the directory."""
    evidence_upload_expiry: timedelta = timedelta(hours=DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS)
    """How long an accepted evidence offer may go without a byte arriving before it is given
    up and its partial uploads removed (``HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS``, 1 to 720)."""
    evidence_space_limit: int | None = None
    """The most bytes that accepted evidence offers still being uploaded may reserve at
    once (``HANOI_EVIDENCE_SPACE_LIMIT``: bytes, or with a K, M, G or T suffix, binary);
    ``None``: only the free disk space decides. Offers are always judged against the free
    space less what earlier offers reserved, and this limit too when set."""
    audit_refusal_interval: timedelta = DEFAULT_AUDIT_REFUSAL_INTERVAL
    """After a refusal is audited, further refusals of its kind from its address are counted
    for this long and audited as one row (``HANOI_AUDIT_REFUSAL_INTERVAL``, 1 to 86400
    seconds)."""
    http: HttpLimits = field(default_factory=lambda: HttpLimits())
    """How long the node's HTTP server waits for slow clients and how many it holds."""
    letter_max_pages: int = 100
    """A PDF letter longer than this is refused (``HANOI_LETTER_MAX_PAGES``, 1 to 10,000)."""
    letter_time_limit: int = 30
    """Seconds a PDF letter may take to lay out before it is stopped and refused
    (``HANOI_LETTER_TIME_LIMIT``, 1 to 600)."""
    default_language: str = SOURCE_LANGUAGE
    """The language of pages for a visitor who has chosen none and whose browser asks for
    none of the six (``HANOI_DEFAULT_LANGUAGE``: ar, zh, en, fr, ru or es)."""
    forwarded_allow_ips: tuple[str, ...] = ()
    """The reverse proxies whose ``X-Forwarded-For``/``-Proto`` the node believes
    (``HANOI_FORWARDED_ALLOW_IPS``, comma-separated addresses or networks). Empty by
    default: the client's address is the socket's, never a header's."""

    @property
    def secret_key_path(self) -> Path:
        return self.home / "secret.key"

    def ensure_home(self) -> Path:
        """Create ``home`` with mode 0700, or take group and world access off an existing one."""
        try:
            self.home.mkdir(mode=HOME_MODE, parents=True)
        except FileExistsError:
            if not self.home.is_dir():
                raise NotADirectoryError(f"{self.home} is not a directory") from None
            if stat.S_IMODE(self.home.stat().st_mode) & 0o077:
                os.chmod(self.home, HOME_MODE)
        else:
            os.chmod(self.home, HOME_MODE)  # mkdir's mode is filtered by the umask
        return self.home

    def secret_key(self) -> bytes:
        """The node's cookie-signing secret, created on first use with owner-only access.

        The key is written to a temporary file (0600) in the home and hard-linked into place,
        so a process reading concurrently never sees a partly written file and two processes
        starting at once agree on one key. An existing key file shorter than 64 characters
        (32 bytes of hex) is refused with a :class:`ValueError` naming the file.
        """
        self.ensure_home()
        path = self.secret_key_path
        if not path.exists():
            _create_secret_file(path, secrets.token_hex(32))
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, SECRET_FILE_MODE)
        key = path.read_text(encoding="ascii").strip()
        if len(key) < SECRET_KEY_MIN_CHARS:
            raise ValueError(
                f"secret key file {path} holds {len(key)} characters; at least "
                f"{SECRET_KEY_MIN_CHARS} (32 bytes as hex) are needed: remove it to have a new "
                "one made (signed-in users will have to sign in again)"
            )
        return key.encode()

    def audit_key(self) -> bytes:
        """A key derived from the secret key, for ``authenticate(..., audit_key=...)``."""
        return hmac.new(self.secret_key(), _AUDIT_KEY_LABEL, hashlib.sha256).digest()


def _create_secret_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` unless it exists, never exposing a partial file."""
    # FileExistsError: another process made the key first, and everyone uses that one.
    with contextlib.suppress(FileExistsError):
        create_file(path, content.encode("ascii"), mode=SECRET_FILE_MODE)


def load_settings(home: Path | str | None = None, database_url: str | None = None) -> Settings:
    """Settings from explicit arguments, then the environment, then defaults."""
    resolved_home = Path(home or os.environ.get("HANOI_HOME") or DEFAULT_HOME).absolute()
    url = database_url or os.environ.get("HANOI_DATABASE_URL")
    if not url:
        url = f"sqlite:///{resolved_home / 'hanoi.db'}"
    witnesses = _ledger_witnesses()
    return Settings(
        home=resolved_home,
        database_url=url,
        ack_hours_24_7=_ack_hours(),
        ledger_quorum=_ledger_quorum(witnesses),
        ledger_witnesses=witnesses,
        evidence_upload_expiry=_evidence_upload_expiry(),
        evidence_space_limit=_evidence_space_limit(),
        audit_refusal_interval=_audit_refusal_interval(),
        http=_http_limits(),
        letter_max_pages=_whole("HANOI_LETTER_MAX_PAGES", 1, 10_000, 100),
        letter_time_limit=_whole("HANOI_LETTER_TIME_LIMIT", 1, 600, 30),
        forwarded_allow_ips=forwarded_allow_ips(os.environ.get("HANOI_FORWARDED_ALLOW_IPS")),
        default_language=_default_language(),
    )


def _default_language() -> str:
    raw = (os.environ.get("HANOI_DEFAULT_LANGUAGE") or "").strip()
    if not raw:
        return SOURCE_LANGUAGE
    if raw not in LANGUAGES:
        raise ConfigError(f"HANOI_DEFAULT_LANGUAGE={raw[:20]!r}: one of {', '.join(LANGUAGES)}")
    return raw


def _http_limits() -> HttpLimits:
    defaults = HttpLimits()
    return HttpLimits(
        **{
            name: _whole(variable, low, high, getattr(defaults, name))
            for variable, name, low, high in _HTTP_LIMITS
        }
    )


def _whole(variable: str, low: int, high: int, default: int) -> int:
    """A whole number from ``low`` to ``high`` in ``variable``; ``default`` if unset."""
    raw = os.environ.get(variable)
    if raw is None or raw.strip() == "":
        return default
    if not _DIGITS.fullmatch(raw.strip()) or not low <= int(raw) <= high:
        raise ConfigError(f"{variable}={raw[:20]!r}: a whole number from {low} to {high}")
    return int(raw)


def forwarded_allow_ips(
    raw: str | None, source: str = "HANOI_FORWARDED_ALLOW_IPS"
) -> tuple[str, ...]:
    """The proxies named in ``raw`` (comma-separated IP addresses or networks), checked.

    ``*`` is refused: trusting every peer's header would let any client choose the address
    that throttling and the audit log see."""
    if raw is None or raw.strip() == "":
        return ()
    proxies: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(
                f"{source} {raw[:200]!r}: {item[:50]!r} is not an IP address or "
                "network (name each reverse proxy; '*' is not accepted)"
            ) from None
    return tuple(proxies)


def _ack_hours() -> int | None:
    raw = os.environ.get("HANOI_ACK_HOURS_24_7")
    if raw is None or raw.strip() == "":
        return None
    if not _DIGITS.fullmatch(raw.strip()) or not 1 <= int(raw) <= 720:
        raise ConfigError(f"HANOI_ACK_HOURS_24_7={raw!r}: a whole number of hours from 1 to 720")
    return int(raw)


def _audit_refusal_interval() -> timedelta:
    raw = os.environ.get("HANOI_AUDIT_REFUSAL_INTERVAL")
    if raw is None or raw.strip() == "":
        return DEFAULT_AUDIT_REFUSAL_INTERVAL
    if not _DIGITS.fullmatch(raw.strip()) or not 1 <= int(raw) <= MAX_AUDIT_REFUSAL_SECONDS:
        raise ConfigError(
            f"HANOI_AUDIT_REFUSAL_INTERVAL={raw[:20]!r}: a whole number of seconds from 1 to "
            f"{MAX_AUDIT_REFUSAL_SECONDS}"
        )
    return timedelta(seconds=int(raw))


def _ledger_witnesses() -> tuple[str, ...] | None:
    raw = os.environ.get("HANOI_LEDGER_WITNESSES")
    if raw is None or raw.strip() == "":
        return None
    codes = tuple(code.strip() for code in raw.split(","))
    for code in codes:
        if not _STATE_CODE.fullmatch(code):
            raise ConfigError(
                f"HANOI_LEDGER_WITNESSES={raw[:200]!r}: {code[:20]!r} is not a State code "
                "(two capital letters, comma-separated)"
            )
    if len(set(codes)) != len(codes):
        raise ConfigError(f"HANOI_LEDGER_WITNESSES={raw[:200]!r} names a State twice")
    return codes


def _ledger_quorum(witnesses: tuple[str, ...] | None) -> int:
    raw = os.environ.get("HANOI_LEDGER_QUORUM")
    if raw is None or raw.strip() == "":
        quorum = DEFAULT_LEDGER_QUORUM
        # A short list of witnesses lowers the default rather than making it unreachable.
        return quorum if witnesses is None else min(quorum, len(witnesses))
    if not _DIGITS.fullmatch(raw.strip()) or not 0 <= int(raw) <= MAX_LEDGER_QUORUM:
        raise ConfigError(
            f"HANOI_LEDGER_QUORUM={raw[:20]!r}: a whole number from 0 to {MAX_LEDGER_QUORUM}"
        )
    quorum = int(raw)
    if witnesses is not None and quorum > len(witnesses):
        raise ConfigError(
            f"HANOI_LEDGER_QUORUM={quorum} cannot be reached by the {len(witnesses)} "
            "State(s) of HANOI_LEDGER_WITNESSES"
        )
    return quorum


def _evidence_upload_expiry() -> timedelta:
    raw = os.environ.get("HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS")
    if raw is None or raw.strip() == "":
        return timedelta(hours=DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS)
    hours = raw.strip()
    if not _DIGITS.fullmatch(hours) or not 1 <= int(hours) <= MAX_EVIDENCE_UPLOAD_EXPIRY_HOURS:
        raise ConfigError(
            f"HANOI_EVIDENCE_UPLOAD_EXPIRY_HOURS={raw[:20]!r}: a whole number of hours from 1 "
            f"to {MAX_EVIDENCE_UPLOAD_EXPIRY_HOURS}"
        )
    return timedelta(hours=int(hours))


def _evidence_space_limit() -> int | None:
    raw = os.environ.get("HANOI_EVIDENCE_SPACE_LIMIT")
    if raw is None or raw.strip() == "":
        return None
    match = _SIZE.fullmatch(raw.strip())
    if match is None:
        raise ConfigError(
            f"HANOI_EVIDENCE_SPACE_LIMIT={raw[:30]!r}: a whole number of bytes, optionally "
            "followed by K, M, G or T (powers of 1024)"
        )
    return int(match[1]) * _SIZE_UNITS[match[2]]
