"""The keys that check a transparency log's checkpoints, as `hanoi ledger verify`,
`hanoi ledger verify-proof` and `hanoi exchange verify-receipt` take them: ``--key`` (the
log's verifier key), ``--cosigner`` (a witness's key, repeated) and ``--quorum`` (how many
cosignatures are required)."""

from __future__ import annotations

from hanoi.cli.errors import fail
from hanoi.crypto.cosignature import CosignatureVerifier, parse_cosigner_verifier_key
from hanoi.crypto.note import Verifier, parse_verifier_key
from hanoi.ledger.proof import check_log_policy


def log_policy(
    key: str, cosigner: list[str], quorum: int | None
) -> tuple[Verifier, list[CosignatureVerifier], int]:
    """The log's verifier, the witnesses' cosigner keys and the cosignatures required
    (every witness given, unless --quorum says fewer); a malformed key, a witness given
    twice or the log's key given as a witness is a usage error."""
    verifier = parse_verifier_key(key.strip())
    witnesses = [parse_cosigner_verifier_key(c.strip()) for c in cosigner]
    needed = len(witnesses) if quorum is None else quorum
    if needed > len(witnesses):
        fail(f"--quorum {needed} needs at least {needed} --cosigner keys")
    try:
        check_log_policy(verifier, witnesses, needed)
    except ValueError as exc:
        fail(f"--cosigner: {exc}")
    return verifier, witnesses, needed
