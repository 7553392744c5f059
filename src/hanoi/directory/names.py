"""What the directory's repository calls a State's role, its entry and the treaty record.

Shared by the Secretariat's repository, which publishes them, and a node's copy, which
reads them back (:mod:`hanoi.directory.local_copy`) without loading python-tuf.
"""

from __future__ import annotations

#: The target path of the depositary record the Secretariat publishes beside the entries,
#: listed in its own top-level ``targets.json`` (signed by its online targets key).
TREATY_RECORD_PATH = "treaty/record.yaml"


def role_name(code: str) -> str:
    """The delegated role that speaks for State ``code``."""
    return f"states-{code}"


def entry_path(code: str) -> str:
    """The target path of State ``code``'s entry."""
    return f"states/{code}/entry.json"
