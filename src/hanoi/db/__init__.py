"""Database access for every domain: the model base, sessions and migrations."""

from hanoi.db.base import Base, UTCDateTime, new_id, utcnow
from hanoi.db.database import Database, make_engine, normalise_url, prepare_sqlite_file
from hanoi.db.migrate import current_revision, head_revision, upgrade

__all__ = [
    "Base",
    "Database",
    "UTCDateTime",
    "current_revision",
    "head_revision",
    "make_engine",
    "new_id",
    "normalise_url",
    "prepare_sqlite_file",
    "upgrade",
    "utcnow",
]
