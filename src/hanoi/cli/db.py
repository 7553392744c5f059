"""`hanoi db upgrade`: create or migrate the node's database."""

from __future__ import annotations

import typer

from hanoi.cli.context import NodeHome
from hanoi.cli.errors import guarded
from hanoi.cli.output import console
from hanoi.config import load_settings
from hanoi.db import current_revision, upgrade

app = typer.Typer()


@app.command("upgrade")
@guarded
def db_upgrade(home: NodeHome = None) -> None:
    """Create or migrate the database to the current schema (SQLite or PostgreSQL)."""
    settings = load_settings(home)
    upgrade(settings.database_url)
    console.print(f"Database at revision {current_revision(settings.database_url)}.")
