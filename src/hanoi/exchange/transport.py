"""How a sealed message travels: one HTTP POST to the peer's federation endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from hanoi.crypto.canonical import parse_json
from hanoi.errors import Unavailable
from hanoi.exchange.errors import ExchangeError

#: A receipt or a problem document is small; anything bigger is not an answer we trust.
MAX_ANSWER_BYTES = 64 * 1024
CONTENT_TYPE = "application/jose"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] | None


class TransportFailure(ExchangeError, Unavailable):
    """The peer could not be reached or did not answer (retried later)."""


class Transport(Protocol):
    def post(self, url: str, token: str) -> Answer: ...


class HttpTransport:
    """POSTs over one pooled HTTP client; proxies from the environment are not used."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def post(self, url: str, token: str) -> Answer:
        try:
            with self._client.stream(
                "POST", url, content=token.encode("ascii"), headers={"Content-Type": CONTENT_TYPE}
            ) as response:
                raw = b""
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) > MAX_ANSWER_BYTES:
                        raise TransportFailure(
                            f"{url}: answer larger than {MAX_ANSWER_BYTES} bytes"
                        )
                status = response.status_code
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{url}: {type(exc).__name__}: {exc}") from None
        return Answer(status=status, body=_json_object(raw))

    def close(self) -> None:
        self._client.close()


def _json_object(raw: bytes) -> dict[str, Any] | None:
    # The peer's answer is untrusted: anything but a plain JSON object (nested too deep,
    # not UTF-8, not JSON) is no answer at all, and the status alone decides what follows.
    try:
        value = parse_json(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
