"""What the `hanoi` commands share: their common options, each defined once, and the node
a command works on, opened once for the command and closed when it ends.

The options are ``Annotated`` types: ``home: NodeHome = None`` gives a command the node
folder option (``--home``), ``user: ActingUser`` the user it acts as (``--user`` or
``$HANOI_USER``, required: it has no default, so where it follows parameters that have one
it comes after a bare ``*``), ``as_json: AsJson = False`` the ``--json`` switch.

:func:`open_database` opens the node's database, brought to the current schema first;
:func:`open_node` opens the whole node: its settings, its database and its identity (the
keys, in memory once), as a :class:`NodeContext`, closed when the command ends. Every
command module imports this one for its options, so the node's own modules (SQLAlchemy,
the accounts, the exchange) are imported where the node is opened and used, below: a
command that never opens the node (`hanoi request check`, `hanoi node show`) never loads
them. They are imported as a command's own module is, outside the garbage collector
(:func:`hanoi.cli.lazy.code_loading`): SQLAlchemy alone is some 0.2 s of imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hanoi.cli.errors import fail
from hanoi.cli.lazy import code_loading
from hanoi.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hanoi.accounts.models import User
    from hanoi.db import Database
    from hanoi.exchange.identity import LocalNode


# --- options ------------------------------------------------------------------------------

NodeHome = Annotated[
    Path | None,
    typer.Option("--home", help="The node's folder (default $HANOI_HOME or ./hanoi-data)."),
]
_USER = typer.Option(
    "--user", envvar="HANOI_USER", help="Act as this user of the node (or $HANOI_USER)."
)
ActingUser = Annotated[str, _USER]
OptionalUser = Annotated[str | None, _USER]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


# --- the node ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeContext:
    """The node a command works on: its settings, its database, its identity and keys."""

    settings: Settings
    db: Database
    node: LocalNode

    def user(self, session: Session, username: str) -> User:
        """The active user ``username`` of this node; else the command fails, saying so."""
        with code_loading():  # see the module docstring
            from hanoi.accounts.lookup import get_user_by_username

        user = get_user_by_username(session, username)
        if user is None or user.disabled:
            fail(f"no active user {username!r} at this node")
        return user

    def acting_user(self, username: str) -> User:
        """:meth:`user`, with their authority, read in a session of its own and kept for
        use after it (the services a command calls open their own sessions)."""
        with self.db.session() as session:
            user = self.user(session, username)
            session.expunge(user)
        return user

    def deliver(self) -> None:
        """Try to send what is queued now; the node's worker retries whatever fails."""
        # Only the commands that queue a message send it: HTTP and the receipt handlers.
        with code_loading():
            from hanoi.cases.handlers import receipt_hook
            from hanoi.exchange.delivery import deliver_due
            from hanoi.exchange.transport import HttpTransport

        transport = HttpTransport()
        try:
            deliver_due(self.db, self.node, transport, on_receipt=receipt_hook())
        finally:
            transport.close()


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The node's database, created or migrated to the current schema first, closed after."""
    with code_loading():  # see the module docstring
        from hanoi.db import Database, upgrade

    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def open_node(home: Path | None) -> Iterator[NodeContext]:
    """The node in ``home``: the command fails unless it has an identity (`hanoi node init`)."""
    with code_loading():  # see the module docstring
        from hanoi.exchange.identity import LocalNode
        from hanoi.node import has_node

    settings = load_settings(home)
    if not has_node(settings.home):
        fail(f"{settings.home} has no node identity: run 'hanoi node init' first")
    with open_database(settings) as db:
        yield NodeContext(settings, db, LocalNode.load(settings.home))
