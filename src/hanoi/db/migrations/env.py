"""Alembic environment: reuse the caller's connection, never read an ini file.

:func:`hanoi.db.migrate.upgrade` passes an open connection in ``config.attributes``; the
``alembic`` command line (for developers writing new revisions) may pass ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hanoi.db.database import make_engine
from hanoi.db.models_registry import all_models_metadata

# Every table the migrations manage, so autogenerate never proposes dropping one.
TARGET_METADATA = all_models_metadata()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=TARGET_METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
        # The models declare the migrations' server defaults: a change to one is drift too.
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = make_engine(url)
    try:
        with engine.begin() as fresh:
            _run(fresh)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=TARGET_METADATA,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
