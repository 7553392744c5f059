"""A State's entry drafted from a template and its node's identity, before it signs it.

The legal and contact facts of an entry (treaty status, authorities, declarations) are
written by people, in a template. What the node itself knows better than anyone (its public
address and its current public keys) is filled in from ``node.json`` and the key store, so
the entry a State signs always lists the key it is signed with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hanoi.directory.entry import Entry, read_entry_object, validate_entry
from hanoi.directory.errors import EntryError


def draft_entry(
    template: bytes,
    *,
    state: str,
    url: str,
    public_keys: Sequence[Mapping[str, Any]],
    age_recipient: str | None = None,
    source: str = "template",
) -> Entry:
    """The entry of ``template`` with ``node.url`` and ``node.public_keys`` replaced.

    ``state`` is the State the node speaks for: a template for another State is refused.
    ``public_keys`` are the node's public JWKs to publish (active and in grace, with their
    status and dates, as :func:`hanoi.node.directory_keys` gives them); one must be an
    active Ed25519 key, the key that will sign the entry. Raises :class:`EntryError` naming
    ``source``.
    """
    raw = read_entry_object(template, source=source)
    code = raw.get("code")
    if code != state:
        shown = code if isinstance(code, str) else "no State"
        raise EntryError(
            f"{source}: the template is the entry of {shown:.10}, but this node speaks for "
            f"{state}: a State drafts and signs only its own entry"
        )
    if not any(k.get("crv") == "Ed25519" and k.get("status") == "active" for k in public_keys):
        raise EntryError(
            f"{source}: the node has no active signing key to list: run "
            "'hanoi node rotate-key signing' first"
        )
    raw["node"] = {"url": url, "public_keys": [dict(k) for k in public_keys]}
    if age_recipient is not None:
        raw["node"]["age_recipient"] = age_recipient
    return validate_entry(raw, source=source)


def check_own_entry(entry: Entry, state: str, *, source: str = "entry") -> None:
    """Refuse, before signing, an entry that is not the entry of the node's own State."""
    if entry.code != state:
        raise EntryError(
            f"{source}: the entry of {entry.code}, but this node speaks for {state}: a State "
            "signs only its own entry"
        )
