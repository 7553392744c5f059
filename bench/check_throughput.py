"""How fast a node checks request documents, against plain JSON decoding measured in the same run.

Run: .venv/bin/python bench/check_throughput.py [--rounds N]

Prints documents per second for: decoding the JSON alone (the reference), parsing it into the
request model, parsing and checking it against the Convention, and rendering the HTML letter;
each with its ratio to the reference. No thresholds: the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from hanoi.cases.check import check_document
from hanoi.cases.documents import parse_document
from hanoi.cases.render import render_html

EXAMPLES = Path(__file__).parents[1] / "tests" / "data" / "requests"


def rate(label: str, work: Callable[[bytes], object], docs: list[bytes], rounds: int) -> float:
    for doc in docs:  # warm caches (convention data, templates, catalogues)
        work(doc)
    start = time.perf_counter()
    for _ in range(rounds):
        for doc in docs:
            work(doc)
    elapsed = time.perf_counter() - start
    return rounds * len(docs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    docs = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.json"))]
    rounds = args.rounds

    reference = rate("json", json.loads, docs, rounds)
    results = {
        "json.loads (reference)": reference,
        "parse_document": rate("parse", parse_document, docs, rounds),
        "parse + check_document": rate(
            "check", lambda d: check_document(parse_document(d)), docs, rounds
        ),
        "parse + render_html (en)": rate(
            "render", lambda d: render_html(parse_document(d), "en"), docs, max(1, rounds // 10)
        ),
    }
    print(f"{len(docs)} example documents, {rounds} rounds")
    print(f"{'operation':<28} {'docs/s':>10} {'ratio to json.loads':>20}")
    for name, value in results.items():
        print(f"{name:<28} {value:>10,.0f} {value / reference:>20.4f}")


if __name__ == "__main__":
    main()
