"""The ledger in the node's database: append, integrate, prove, checkpoint, check.

Two steps, as a tlog-tiles log does it:

* :func:`append` queues an event in the caller's transaction (one INSERT, no tree work), so
  the event is in the ledger's queue exactly when the change it records is committed (it is
  :func:`hanoi.ledger.queue.append`, which recorders import without this module);
* :func:`integrate` (a worker, every second or every N events) takes queued events in
  order, gives them the next leaf indexes, and stores their leaf hashes and every full
  subtree hash they complete, all in one transaction. Integrators take turns on the state
  row (a row lock on PostgreSQL, the write lock on SQLite), so two processes integrating
  at once build one consistent tree with every event exactly once.

Proofs read their hashes through :class:`DbHashReader`: a proof's whole plan is fetched by
primary key in one query. :func:`fsck` recomputes everything that can be recomputed and
names each fault.

The hot paths (queueing many events, integrating, reading a proof's hashes) send plain SQL
to the driver: building and compiling a SQLAlchemy statement, and type-processing every
value of ten thousand rows, cost several times what the database itself spends. On
PostgreSQL rows are written with COPY, one round trip for a whole batch.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Column, Connection, Dialect, Table, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hanoi.crypto.note import NoteError, NoteVerifier, Signer
from hanoi.db.base import utcnow
from hanoi.db.database import Database
from hanoi.errors import SetupError
from hanoi.ledger import merkle
from hanoi.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    parse_checkpoint,
)
from hanoi.ledger.checkpoint import (
    sign_checkpoint as sign_checkpoint_note,
)
from hanoi.ledger.errors import LedgerError, TreeRangeError
from hanoi.ledger.merkle import Node
from hanoi.ledger.models import (
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHash,
    LedgerState,
)
from hanoi.ledger.queue import append
from hanoi.ledger.queue_models import LedgerPending
from hanoi.ledger.records import (
    LedgerRecord,
    open_commitment,
    parse_leaf,
)

DEFAULT_BATCH = 10_000
# Key ranges per SQLite read (three parameters each): under the 999 bound parameters of
# the oldest SQLite builds. PostgreSQL sends them as three arrays, so needs no bound.
_RUNS_PER_QUERY = 300

_pending = cast(Table, LedgerPending.__table__)
_entries = cast(Table, LedgerEntry.__table__)
_hashes = cast(Table, LedgerHash.__table__)
_checkpoints = cast(Table, LedgerCheckpoint.__table__)
_state = cast(Table, LedgerState.__table__)

# Plain SQL for the hot paths, written out in full: sqlite3 takes ``?`` placeholders, psycopg
# ``%s``, and PostgreSQL inserts with COPY. One statement takes the oldest queued events off
# the queue and returns them (RETURNING gives no order on either engine: callers sort).
_TAKE_PENDING_SQLITE = (
    "DELETE FROM ledger_pending WHERE id IN "
    "(SELECT id FROM ledger_pending ORDER BY id LIMIT ?) "
    "RETURNING id, leaf, detail, salt, created_at"
)
_TAKE_PENDING_PG = (
    "DELETE FROM ledger_pending WHERE id IN "
    "(SELECT id FROM ledger_pending ORDER BY id LIMIT %s) "
    "RETURNING id, leaf, detail, salt, created_at"
)
_INSERT_SQLITE = {
    "ledger_pending": "INSERT INTO ledger_pending (leaf, detail, salt, created_at) "
    "VALUES (?, ?, ?, ?)",
    "ledger_entries": "INSERT INTO ledger_entries "
    "(seq, leaf, leaf_hash, detail, salt, created_at, integrated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)",
    "ledger_hashes": "INSERT INTO ledger_hashes (level, idx, hash) VALUES (?, ?, ?)",
}
_COPY_PG = {
    "ledger_pending": "COPY ledger_pending (leaf, detail, salt, created_at) FROM STDIN",
    "ledger_entries": "COPY ledger_entries "
    "(seq, leaf, leaf_hash, detail, salt, created_at, integrated_at) FROM STDIN",
    "ledger_hashes": "COPY ledger_hashes (level, idx, hash) FROM STDIN",
}
# PostgreSQL reads a plan with one statement text whatever its shape, so psycopg prepares it
# once; the planner joins the runs to the primary key (a nested loop of index scans).
_READ_RUNS_PG = (
    "SELECT h.level, h.idx, h.hash FROM ledger_hashes AS h "
    "JOIN unnest(%s::smallint[], %s::bigint[], %s::bigint[]) AS r(level, first, last) "
    "ON h.level = r.level AND h.idx BETWEEN r.first AND r.last"
)
_READ_RUNS_SQLITE = "SELECT level, idx, hash FROM ledger_hashes WHERE "
_RUN_SQLITE = "(level = ? AND idx BETWEEN ? AND ?)"

Run = tuple[int, int, int]
"""Consecutive stored hashes of one level: ``(level, first index, last index)``."""


StoreCheck = Literal["entries", "signer-name"]


class StoreError(LedgerError, SetupError):
    """The store cannot do what it is asked: entries a checkpoint covers are missing from it
    (``check`` is ``"entries"``; ``fsck`` says more), or the checkpoint signer's key name is
    not the log's origin, as verifiers expect (``"signer-name"``)."""

    def __init__(self, message: str, *, check: StoreCheck) -> None:
        super().__init__(message)
        self.check = check


# --- appending and integrating ------------------------------------------------------------


def append_many(session: Session, records: Sequence[LedgerRecord]) -> None:
    """Queue several records at once in the caller's transaction (one statement; COPY on
    PostgreSQL). They share one queue time: they are queued together."""
    if not records:
        return
    for record in records:
        if not isinstance(record, LedgerRecord):
            raise TypeError("append_many takes LedgerRecords")
    connection = session.connection()
    queued_at = _bound(_pending.c.created_at, utcnow(), connection.dialect)
    rows = [(r.leaf_bytes, r.detail_json, r.salt, queued_at) for r in records]
    _insert_rows(connection, "ledger_pending", rows)


def pending_count(session: Session) -> int:
    """How many appended events wait for integration."""
    count: int = session.execute(select(func.count()).select_from(_pending)).scalar_one()
    return count


def integrate(db: Database, *, max_batch: int = DEFAULT_BATCH) -> int:
    """Integrate up to ``max_batch`` queued events, oldest first, in one transaction;
    returns the tree size afterwards (unchanged when nothing was queued)."""
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    with db.session() as session:
        # The first statement takes the integrators' lock and reads the size under it.
        size: int = session.execute(
            update(_state)
            .where(_state.c.id == 1)
            .values(size=_state.c.size)
            .returning(_state.c.size)
        ).scalar_one()
        connection = session.connection()
        queued = _take_pending(connection, max_batch)
        if not queued:
            return size
        entry_rows, hash_rows = _tree_rows(session, size, queued)
        _insert_rows(connection, "ledger_entries", entry_rows)
        _insert_rows(connection, "ledger_hashes", hash_rows)
        new_size = size + len(queued)
        session.execute(update(_state).where(_state.c.id == 1).values(size=new_size))
        return new_size


def _take_pending(connection: Connection, max_batch: int) -> list[Sequence[Any]]:
    """Remove the oldest ``max_batch`` queued events and return them, oldest first, as
    ``(id, leaf, detail, salt, created_at)`` with the values as the driver stores them.

    One statement reads and removes them; the transaction's rollback puts them back if
    anything later fails.
    """
    statement = _TAKE_PENDING_PG if _is_postgresql(connection) else _TAKE_PENDING_SQLITE
    rows = connection.exec_driver_sql(statement, (max_batch,)).all()
    return sorted(rows, key=lambda row: int(row[0]))


def _tree_rows(
    session: Session, size: int, queued: Sequence[Sequence[Any]]
) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, bytes]]]:
    """The ``ledger_entries`` and ``ledger_hashes`` rows of the queued events appended to
    the tree of ``size`` leaves: each leaf's hash and every full subtree it completes."""
    reader = DbHashReader(session)
    edge = merkle.root_plan(size)  # the left siblings the new leaves will need
    reader.prefetch(edge)
    frontier = {node.level: reader.hash_at(node.level, node.index) for node in edge}
    integrated_at = _bound(_entries.c.integrated_at, utcnow(), session.get_bind().dialect)
    entry_rows: list[tuple[Any, ...]] = []
    hash_rows: list[tuple[int, int, bytes]] = []
    for seq, (_, leaf, detail, salt, created_at) in enumerate(queued, start=size):
        leaf = bytes(leaf)
        value = merkle.leaf_hash(leaf)
        # created_at goes back as the driver gave it: the same stored form, untouched.
        entry_rows.append((seq, leaf, value, bytes(detail), bytes(salt), created_at, integrated_at))
        level, index = 0, seq
        hash_rows.append((0, index, value))
        while index & 1:
            value = merkle.node_hash(frontier.pop(level), value)
            level += 1
            index >>= 1
            hash_rows.append((level, index, value))
        frontier[level] = value
    return entry_rows, hash_rows


def integrate_all(db: Database, *, max_batch: int = DEFAULT_BATCH) -> int:
    """Integrate until the queue is empty; returns the final tree size."""
    while True:
        before = _size_in(db)
        after = integrate(db, max_batch=max_batch)
        if after == before:
            return after


def _size_in(db: Database) -> int:
    with db.session() as session:
        return tree_size(session)


# --- plain SQL for the hot paths -------------------------------------------------------------


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _bound(column: Column[Any], value: object, dialect: Dialect) -> object:
    """``value`` as SQLAlchemy would send it for ``column``: plain SQL skips the column
    types, and SQLite keeps a timestamp as text in SQLAlchemy's own format."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def _insert_rows(connection: Connection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in the driver's form) into ``table`` in the caller's
    transaction: COPY on PostgreSQL, one executemany on SQLite."""
    if _is_postgresql(connection):
        _copy_rows(connection, _COPY_PG[table], rows)
    else:
        connection.exec_driver_sql(_INSERT_SQLITE[table], list(rows))


def _copy_rows(connection: Connection, statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run the COPY ``statement`` with ``rows`` through psycopg, in the connection's
    transaction; a refusal is raised as the :class:`~sqlalchemy.exc.DBAPIError` that any
    statement sent through SQLAlchemy raises."""
    driver: Any = connection.connection.driver_connection
    dbapi_error: type[Exception] = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi_error as exc:
        wrapped = DBAPIError.instance(statement, None, exc, dbapi_error, dialect=connection.dialect)
        raise cast(BaseException, wrapped) from exc


# --- reading the tree ------------------------------------------------------------------------


class DbHashReader:
    """A :class:`~hanoi.ledger.merkle.HashReader` over ``ledger_hashes``.

    :meth:`prefetch` fetches many nodes in one query (a proof's whole plan); :meth:`hash_at`
    answers from what was fetched, and goes to the database only for a node it lacks.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, nodes: Iterable[Node]) -> None:
        wanted = sorted({(n.level, n.index) for n in nodes} - self._cache.keys())
        if not wanted:
            return
        connection = self._session.connection()
        runs = _runs(wanted)
        for start in range(0, len(runs), _RUNS_PER_QUERY):
            for level, index, value in _read_runs(
                connection, runs[start : start + _RUNS_PER_QUERY]
            ):
                self._cache[(level, index)] = bytes(value)

    def has(self, level: int, index: int) -> bool:
        self.prefetch([Node(level, index)])
        return (level, index) in self._cache

    def hash_at(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            self.prefetch([Node(level, index)])
        try:
            return self._cache[key]
        except KeyError:
            raise TreeRangeError(
                f"no stored hash for the full subtree at level {level}, index {index}"
            ) from None


def _runs(keys: Sequence[tuple[int, int]]) -> list[Run]:
    """Sorted ``(level, index)`` keys as runs of consecutive indexes: a hash tile is one
    run, a proof's plan one run per node or so."""
    runs: list[Run] = []
    for level, index in keys:
        if runs and runs[-1][0] == level and runs[-1][2] == index - 1:
            runs[-1] = (level, runs[-1][1], index)
        else:
            runs.append((level, index, index))
    return runs


def _read_runs(connection: Connection, runs: Sequence[Run]) -> Sequence[Sequence[Any]]:
    """The stored ``(level, idx, hash)`` rows within ``runs``, in one query."""
    if _is_postgresql(connection):
        levels, firsts, lasts = (list(column) for column in zip(*runs, strict=True))
        return connection.exec_driver_sql(_READ_RUNS_PG, (levels, firsts, lasts)).all()
    parameters = tuple(value for run in runs for value in run)
    return connection.exec_driver_sql(_or_of_runs(len(runs)), parameters).all()


@functools.lru_cache(maxsize=512)
def _or_of_runs(count: int) -> str:
    """``... WHERE (level = ? AND idx BETWEEN ? AND ?) OR ...``, ``count`` times: SQLite
    plans each branch as a primary-key seek (a row-value IN would scan the table). The text
    depends only on ``count``, so sqlite3's statement cache reuses its preparation."""
    return _READ_RUNS_SQLITE + " OR ".join([_RUN_SQLITE] * count)


def tree_size(session: Session) -> int:
    """How many leaves are integrated."""
    size: int = session.execute(select(_state.c.size).where(_state.c.id == 1)).scalar_one()
    return size


def _read_plan(session: Session, size: int, plan: Iterable[Node]) -> DbHashReader:
    """A reader holding ``plan``'s nodes, read in one query together with the last leaf
    of ``size``: that leaf is stored exactly when the tree has ``size`` leaves or more."""
    reader = DbHashReader(session)
    guard = Node(0, size - 1)
    reader.prefetch([*plan, guard])
    if not reader.has(guard.level, guard.index):
        raise TreeRangeError(f"tree size {size} is beyond the leaves integrated")
    return reader


def root(session: Session, size: int | None = None) -> bytes:
    """The root of the first ``size`` leaves (default: the whole tree)."""
    size = tree_size(session) if size is None else size
    if size == 0:
        return merkle.EMPTY_ROOT
    plan = merkle.root_plan(size)
    return merkle.hash_nodes(_read_plan(session, size, plan), plan)


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    plan = merkle.inclusion_plan(index, size)
    reader = _read_plan(session, size, (node for nodes in plan for node in nodes))
    return merkle.read_proof(reader, plan)


def consistency_proof(session: Session, size1: int, size2: int) -> list[bytes]:
    """The proof that the tree of ``size1`` leaves is a prefix of the one of ``size2``."""
    plan = merkle.consistency_plan(size1, size2)
    if size2 == 0:
        return []
    reader = _read_plan(session, size2, (node for nodes in plan for node in nodes))
    return merkle.read_proof(reader, plan)


def leaf_hash_at(session: Session, index: int) -> bytes:
    """The stored hash of leaf ``index``."""
    return DbHashReader(session).hash_at(0, index)


def load_record(session: Session, index: int) -> LedgerRecord:
    """The full record of leaf ``index`` (leaf, detail, salt), parsed strictly."""
    row = session.execute(
        select(_entries.c.leaf, _entries.c.detail, _entries.c.salt).where(_entries.c.seq == index)
    ).one_or_none()
    if row is None:
        raise TreeRangeError(f"no leaf {index} in the ledger")
    return LedgerRecord(
        leaf=parse_leaf(bytes(row.leaf)), detail_json=bytes(row.detail), salt=bytes(row.salt)
    )


# --- checkpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint the node signed: its origin, size, root and the signed note."""

    id: int
    origin: str
    size: int
    root: bytes
    note: bytes
    created_at: datetime


def sign_checkpoint(db: Database, signer: Signer, origin: str) -> StoredCheckpoint:
    """Sign and store a checkpoint of the current tree for the log ``origin`` (e.g.
    ``hanoi.example/XA``); the signer's key name must be the origin."""
    if signer.name != origin:
        raise StoreError(
            f"the signer's key name {signer.name[:60]!r} is not the origin {origin[:60]!r}",
            check="signer-name",
        )
    with db.session() as session:
        size = tree_size(session)
        head = root(session, size)
        note = sign_checkpoint_note(Checkpoint(origin=origin, size=size, root_hash=head), [signer])
        created_at = utcnow()
        checkpoint_id: int = session.execute(
            insert(_checkpoints)
            .values(
                origin=origin,
                size=size,
                root=head,
                note=note.decode("utf-8"),
                created_at=created_at,
            )
            .returning(_checkpoints.c.id)
        ).scalar_one()
    return StoredCheckpoint(checkpoint_id, origin, size, head, note, created_at)


def latest_checkpoint(session: Session) -> StoredCheckpoint | None:
    """The newest checkpoint signed, or ``None`` before the first."""
    row = session.execute(
        select(_checkpoints).order_by(_checkpoints.c.id.desc()).limit(1)
    ).one_or_none()
    if row is None:
        return None
    return StoredCheckpoint(
        id=row.id,
        origin=row.origin,
        size=row.size,
        root=bytes(row.root),
        note=row.note.encode("utf-8"),
        created_at=row.created_at,
    )


# --- fsck --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FsckProblem:
    """One fault: where (``entry 12``, ``hash (3, 1)``, ``checkpoint 4``...) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class FsckReport:
    """What :func:`fsck` checked and every fault it found."""

    size: int = 0
    entries_checked: int = 0
    hashes_checked: int = 0
    checkpoint_size: int | None = None
    signature_checked: bool = False
    problems: list[FsckProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, message: str) -> None:
        self.problems.append(FsckProblem(where, message))


def fsck(db: Database, verifier: NoteVerifier | None = None) -> FsckReport:
    """Check the whole ledger against itself.

    Every entry's leaf is parsed strictly, hashed again and compared with its stored leaf
    hash and with hash ``(0, seq)``, and its detail and salt must open its commitment;
    every stored subtree hash is recomputed from its two stored children; the stored set is
    exactly the full subtrees of the tree size; every checkpoint's root is recomputed, and
    the latest one's signed note is opened with ``verifier`` (when given) and must say
    what its row says.
    """
    report = FsckReport()
    with db.session() as session:
        report.size = size = tree_size(session)
        leaf_hashes = _check_entries(session, size, report)
        _check_hashes(session, size, leaf_hashes, report)
        _check_checkpoints(session, size, verifier, report)
    return report


def _check_entries(session: Session, size: int, report: FsckReport) -> list[bytes | None]:
    computed: list[bytes | None] = [None] * size
    expected = 0
    rows = session.execute(
        select(
            _entries.c.seq,
            _entries.c.leaf,
            _entries.c.leaf_hash,
            _entries.c.detail,
            _entries.c.salt,
        ).order_by(_entries.c.seq)
    ).yield_per(5000)
    for seq, leaf, stored_hash, detail, salt in rows:
        where = f"entry {seq}"
        if seq >= size:
            report.add(where, f"beyond the tree size {size}")
            continue
        if seq != expected:
            report.add(f"entries {expected}..{seq - 1}", "missing")
        expected = seq + 1
        report.entries_checked += 1
        leaf = bytes(leaf)
        value = merkle.leaf_hash(leaf)
        computed[seq] = value
        if bytes(stored_hash) != value:
            report.add(where, "the leaf bytes do not hash to the stored leaf hash")
        try:
            record = LedgerRecord(
                leaf=parse_leaf(leaf), detail_json=bytes(detail), salt=bytes(salt)
            )
            open_commitment(record)
        except LedgerError as exc:
            report.add(where, str(exc))
    if expected < size:
        report.add(f"entries {expected}..{size - 1}", "missing")
    return computed


def _check_hashes(
    session: Session, size: int, leaf_hashes: list[bytes | None], report: FsckReport
) -> None:
    below: list[bytes | None] = []  # the stored hashes of the level under the current one
    current: list[bytes | None] = []
    level = 0
    top = size.bit_length()  # levels 0 .. top - 1 hold full subtrees

    def finish(done: int) -> None:
        wanted = size >> done
        missing = [i for i in range(wanted) if i >= len(current) or current[i] is None]
        if missing:
            report.add(f"level {done}", f"{len(missing)} hashes missing, first index {missing[0]}")

    rows = session.execute(
        select(_hashes.c.level, _hashes.c.idx, _hashes.c.hash).order_by(
            _hashes.c.level, _hashes.c.idx
        )
    ).yield_per(10000)
    for row_level, index, value in rows:
        while row_level > level:
            finish(level)
            below, current, level = current, [], level + 1
        report.hashes_checked += 1
        value = bytes(value)
        where = f"hash ({row_level}, {index})"
        if index >= size >> row_level:
            report.add(where, f"not a full subtree of the tree of size {size}")
            continue
        current.extend([None] * (index - len(current)))
        current.append(value)
        if row_level == 0:
            if leaf_hashes[index] is not None and value != leaf_hashes[index]:
                report.add(where, f"differs from the hash of leaf {index}'s bytes")
            continue
        left = below[2 * index] if 2 * index < len(below) else None
        right = below[2 * index + 1] if 2 * index + 1 < len(below) else None
        if left is None or right is None:
            continue  # the missing child is reported with its own level
        if merkle.node_hash(left, right) != value:
            report.add(where, "differs from the hash of its two stored children")
    while level < top:
        finish(level)
        below, current, level = current, [], level + 1


def _check_checkpoints(
    session: Session, size: int, verifier: NoteVerifier | None, report: FsckReport
) -> None:
    rows = session.execute(select(_checkpoints).order_by(_checkpoints.c.id)).all()
    for row in rows:
        where = f"checkpoint {row.id}"
        if row.size > size:
            report.add(where, f"size {row.size} is beyond the tree size {size}")
            continue
        try:
            recomputed = root(session, row.size)
        except LedgerError as exc:
            report.add(where, f"root cannot be recomputed: {exc}")
            continue
        if recomputed != bytes(row.root):
            report.add(where, f"stored root differs from the tree's root at size {row.size}")
    if not rows:
        return
    latest = rows[-1]
    where = f"checkpoint {latest.id}"
    report.checkpoint_size = latest.size
    note = latest.note.encode("utf-8")
    try:
        if verifier is not None:
            checkpoint = open_checkpoint(note, [verifier], origin=latest.origin).checkpoint
            report.signature_checked = True
        else:
            checkpoint = parse_checkpoint(note[: note.rfind(b"\n\n") + 1].decode("utf-8"))
    except (NoteError, CheckpointError) as exc:
        report.add(where, f"signed note refused: {type(exc).__name__}: {exc}")
        return
    if checkpoint.size != latest.size or checkpoint.root_hash != bytes(latest.root):
        report.add(
            where,
            f"note says size {checkpoint.size}, root "
            f"{base64.b64encode(checkpoint.root_hash).decode()}; the row differs",
        )
    if checkpoint.size <= size:
        try:
            actual = root(session, checkpoint.size)
        except LedgerError:
            return
        if actual != checkpoint.root_hash:
            report.add(where, f"signed root differs from the tree's root at {checkpoint.size}")


__all__ = [
    "DEFAULT_BATCH",
    "DbHashReader",
    "FsckProblem",
    "FsckReport",
    "StoreError",
    "StoredCheckpoint",
    "append",
    "append_many",
    "consistency_proof",
    "fsck",
    "inclusion_proof",
    "integrate",
    "integrate_all",
    "latest_checkpoint",
    "leaf_hash_at",
    "load_record",
    "pending_count",
    "root",
    "sign_checkpoint",
    "tree_size",
]
