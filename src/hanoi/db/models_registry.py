"""Every module that declares tables, listed once: what the migrations are compared with.

A table exists in :data:`~hanoi.db.Base`'s metadata only once its module has been imported.
Alembic's autogenerate (``migrations/env.py``) compares that metadata with the database, so
a module missing here makes it propose dropping that module's tables. A new models module
(``models.py`` or ``*_models.py``) is added to :data:`MODEL_MODULES`;
tests/db/test_migrations.py fails until it is.

The modules are named, not imported, at the top: hanoi.db sits below every domain package
and imports them only when asked.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from hanoi.db.base import Base

MODEL_MODULES: tuple[str, ...] = (
    "hanoi.accounts.models",
    "hanoi.accounts.session_models",
    "hanoi.audit.models",
    "hanoi.cases.drafting_models",
    "hanoi.cases.models",
    "hanoi.evidence.models",
    "hanoi.exchange.models",
    "hanoi.ledger.models",
    "hanoi.ledger.queue_models",
    "hanoi.ledger.witness_models",
)


def all_models_metadata() -> MetaData:
    """The metadata of every table Hanoi declares, each models module imported first."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
