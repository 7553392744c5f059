"""How fast the custody ledger takes events and answers inclusion proofs, on SQLite and
PostgreSQL.

Run: .venv/bin/python bench/ledger_appends.py [--entries N] [--batch B] [--proofs P]
     [--engine sqlite|postgresql|both] [--pg-admin-url URL]

For each engine, a fresh database migrated to head: events are appended in batches of B
(one transaction each, ``store.append_many``) and integrated B at a time
(``store.integrate``) until the tree holds N leaves. Prints appends per second counting
append + integration time (building the records, salts and canonical JSON is timed apart),
then the median and 95th percentile time of P inclusion proofs for random leaves at size N,
each checked with ``merkle.verify_inclusion`` against the hash of the stored leaf bytes
outside the timing, and where the appends'
time went: queueing (``append_many``, which also serialises each leaf) against integrating.
Before the proofs, the root is recomputed from every stored leaf, so a fast but wrong tree
stops the run.
No thresholds: the figures go to docs/benchmarks.md (target: 10,000 appends/s, under 1 ms
per proof).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pgdb import DEFAULT_PG_ADMIN_URL, throwaway_database
from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.db import Database, upgrade
from hanoi.ledger import merkle, store
from hanoi.ledger.models import LedgerEntry
from hanoi.ledger.records import KINDS, LedgerRecord, new_record


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="hanoi-ledger-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'hanoi.db'}"


def build(start: int, count: int) -> list[LedgerRecord]:
    return [
        new_record(KINDS[n % len(KINDS)], "XA", {"request": f"XA-2026-{n:06d}", "n": n})
        for n in range(start, start + count)
    ]


def check_root(db: Database, size: int, head: bytes) -> None:
    """Stop the run unless ``head`` is the root of the stored leaves, hashed here."""
    with db.session() as session:
        leaves = session.scalars(select(LedgerEntry.leaf).order_by(LedgerEntry.seq))
        recomputed = merkle.root(merkle.leaf_hash(bytes(leaf)) for leaf in leaves.yield_per(10_000))
    if recomputed != head:
        raise SystemExit(f"the stored tree of {size:,} leaves has a wrong root")


def stored_leaf_hash(session: Session, index: int) -> bytes:
    leaf = session.scalars(select(LedgerEntry.leaf).where(LedgerEntry.seq == index)).one()
    return merkle.leaf_hash(bytes(leaf))


def run(engine: str, url: str, entries: int, batch: int, proofs: int) -> None:
    upgrade(url)
    db = Database(url)
    try:
        building = queueing = integrating = 0.0
        done = 0
        next_report = time.perf_counter() + 30
        while done < entries:
            count = min(batch, entries - done)
            t0 = time.perf_counter()
            made = build(done, count)
            t1 = time.perf_counter()
            with db.session() as session:
                store.append_many(session, made)
            t2 = time.perf_counter()
            store.integrate(db, max_batch=count)
            t3 = time.perf_counter()
            building += t1 - t0
            queueing += t2 - t1
            integrating += t3 - t2
            done += count
            if t3 > next_report:
                rate = done / (queueing + integrating)
                print(f"  {engine}: {done:,} entries, {rate:,.0f} appends/s so far")
                next_report = t3 + 30
        storing = queueing + integrating

        with db.session() as session:
            size = store.tree_size(session)
            head = store.root(session, size)
        check_root(db, size, head)

        rng = random.Random(6962)
        timings: list[float] = []
        with db.session() as session:
            for _ in range(proofs):
                index = rng.randrange(size)
                t0 = time.perf_counter()
                proof = store.inclusion_proof(session, index, size)
                timings.append(time.perf_counter() - t0)
                merkle.verify_inclusion(stored_leaf_hash(session, index), index, size, proof, head)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{engine:<11} {entries:>10,} {batch:>6,} {entries / storing:>12,.0f} "
            f"{entries / building:>12,.0f} {statistics.median(timings) * 1e3:>10.3f} "
            f"{p95 * 1e3:>8.3f}"
        )
        print(
            f"  {engine}: appends took {storing:.1f} s: queueing {queueing:.1f} s, "
            f"integrating {integrating:.1f} s (building the records, not counted: "
            f"{building:.1f} s)"
        )
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("HANOI_TEST_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL),
    )
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; batches of {args.batch:,}; {args.proofs:,} proofs")
    print(
        f"{'engine':<11} {'entries':>10} {'batch':>6} {'appends/s':>12} "
        f"{'records/s':>12} {'proof ms':>10} {'p95 ms':>8}"
    )
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "sqlite":
            with sqlite_url() as url:
                run(engine, url, args.entries, args.batch, args.proofs)
        else:
            with throwaway_database(args.pg_admin_url) as url:
                run(engine, url, args.entries, args.batch, args.proofs)


if __name__ == "__main__":
    main()
