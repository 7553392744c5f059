"""Where a node keeps its data and how it reaches its database.

Everything a node stores lives under ``$HANOI_HOME`` (default ``./hanoi-data``); the
database defaults to SQLite there and moves to PostgreSQL with ``HANOI_DATABASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("hanoi-data")


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str

    @property
    def secret_key_path(self) -> Path:
        return self.home / "secret.key"

    def secret_key(self) -> bytes:
        """The node's cookie-signing secret, created on first use with owner-only access."""
        path = self.secret_key_path
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        return path.read_text().strip().encode()


def load_settings(home: Path | str | None = None, database_url: str | None = None) -> Settings:
    """Settings from explicit arguments, then the environment, then defaults."""
    resolved_home = Path(home or os.environ.get("HANOI_HOME") or DEFAULT_HOME).absolute()
    url = database_url or os.environ.get("HANOI_DATABASE_URL")
    if not url:
        url = f"sqlite:///{resolved_home / 'hanoi.db'}"
    return Settings(home=resolved_home, database_url=url)
