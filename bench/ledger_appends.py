"""How fast the custody ledger takes events and answers inclusion proofs, on SQLite and
PostgreSQL.

Run: .venv/bin/python bench/ledger_appends.py [--entries N] [--batch B] [--proofs P]
     [--engine sqlite|postgresql|both] [--pg-admin-url URL]

For each engine, a fresh database migrated to head: events are appended in batches of B
(one transaction each, ``store.append_many``) and integrated B at a time
(``store.integrate``) until the tree holds N leaves. Prints appends per second counting
append + integration time (building the records, salts and canonical JSON is timed apart),
then the median and 95th percentile time of P inclusion proofs for random leaves at size N,
each checked with ``merkle.verify_inclusion`` outside the timing. No thresholds: the
figures go to docs/benchmarks.md (target: 10,000 appends/s, under 1 ms per proof).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hanoi.db import Database, upgrade
from hanoi.ledger import merkle, store
from hanoi.ledger.records import KINDS, LedgerRecord, new_record

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="hanoi-ledger-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'hanoi.db'}"


@contextmanager
def postgresql_url(admin_url: str) -> Iterator[str]:
    name = f"hanoi_bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build(start: int, count: int) -> list[LedgerRecord]:
    return [
        new_record(KINDS[n % len(KINDS)], "XA", {"request": f"XA-2026-{n:06d}", "n": n})
        for n in range(start, start + count)
    ]


def run(engine: str, url: str, entries: int, batch: int, proofs: int) -> None:
    upgrade(url)
    db = Database(url)
    try:
        building = storing = 0.0
        done = 0
        next_report = time.perf_counter() + 30
        while done < entries:
            count = min(batch, entries - done)
            t0 = time.perf_counter()
            made = build(done, count)
            t1 = time.perf_counter()
            with db.session() as session:
                store.append_many(session, made)
            store.integrate(db, max_batch=count)
            t2 = time.perf_counter()
            building += t1 - t0
            storing += t2 - t1
            done += count
            if t2 > next_report:
                print(f"  {engine}: {done:,} entries, {done / storing:,.0f} appends/s so far")
                next_report = t2 + 30

        rng = random.Random(6962)
        timings: list[float] = []
        with db.session() as session:
            size = store.tree_size(session)
            head = store.root(session, size)
            for _ in range(proofs):
                index = rng.randrange(size)
                t0 = time.perf_counter()
                proof = store.inclusion_proof(session, index, size)
                timings.append(time.perf_counter() - t0)
                merkle.verify_inclusion(
                    store.leaf_hash_at(session, index), index, size, proof, head
                )
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{engine:<11} {entries:>10,} {batch:>6,} {entries / storing:>12,.0f} "
            f"{entries / building:>12,.0f} {statistics.median(timings) * 1e3:>10.3f} "
            f"{p95 * 1e3:>8.3f}"
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
            with postgresql_url(args.pg_admin_url) as url:
                run(engine, url, args.entries, args.batch, args.proofs)


if __name__ == "__main__":
    main()
