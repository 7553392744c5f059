"""Sealing one file against the two standard tools run one after the other, in the same run.

Run: .venv/bin/python bench/seal_throughput.py [--size-mib 1024] [--rounds 3] [--dir /dev/shm]

A random file on tmpfs is sealed by Hanoi (``hanoi.evidence.seal.seal_file``: one read,
SHA-256 of plaintext and ciphertext, age encryption) and, as the reference, hashed with
``openssl dgst -sha256`` and then encrypted with ``age -r``; a second reference adds the
``openssl dgst`` of age's output, which a package needs too. They alternate, each tool in its
own process; the script prints median times, the ratios (Hanoi / tools) and each process's
peak RSS. No thresholds: the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage  # type: ignore[import-untyped]

SEAL = (
    "import sys; from pathlib import Path; from hanoi.evidence.seal import seal_file; "
    "seal_file(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))"
)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time of ``command`` and the peak RSS of that one process, in MiB."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def tools(source: Path, recipient: str, out: Path) -> list[list[str]]:
    return [
        ["openssl", "dgst", "-sha256", str(source)],
        ["age", "-r", recipient, "-o", str(out), str(source)],
        ["openssl", "dgst", "-sha256", str(out)],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/dev/shm"))
    args = parser.parse_args()

    recipient = str(pyrage.x25519.Identity.generate().to_public())
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="hanoi-seal-bench-") as folder:
        work = Path(folder)
        source = work / "evidence.bin"
        with source.open("wb") as out:
            for _ in range(args.size_mib):
                out.write(os.urandom(1024 * 1024))
        hanoi_times: list[float] = []
        pair_times: list[float] = []
        full_times: list[float] = []
        hanoi_rss: list[float] = []
        tool_rss: list[float] = []
        for round_ in range(args.rounds):
            sealed = work / f"hanoi-{round_}.age"
            elapsed, rss = timed([sys.executable, "-c", SEAL, str(source), recipient, str(sealed)])
            hanoi_times.append(elapsed)
            hanoi_rss.append(rss)
            sealed.unlink()
            out = work / f"age-{round_}.age"
            steps = [timed(command) for command in tools(source, recipient, out)]
            pair_times.append(steps[0][0] + steps[1][0])
            full_times.append(sum(step[0] for step in steps))
            tool_rss.append(max(step[1] for step in steps))
            out.unlink()
    size = args.size_mib
    hanoi = statistics.median(hanoi_times)
    pair, full = statistics.median(pair_times), statistics.median(full_times)
    print(f"{size} MiB random file on {args.dir}, {args.rounds} alternating rounds, ", end="")
    print(f"{os.cpu_count()} CPUs")
    print(f"{'':46}{'median s':>10}{'MiB/s':>8}{'peak RSS MiB':>14}")
    rows = [
        ("openssl dgst + age -r (reference)", pair, max(tool_rss)),
        ("openssl dgst + age -r + dgst of the output", full, max(tool_rss)),
        ("hanoi seal_file (one pass, both hashes)", hanoi, max(hanoi_rss)),
    ]
    for label, seconds, rss in rows:
        print(f"{label:46}{seconds:>10.2f}{size / seconds:>8.0f}{rss:>14.0f}")
    print(f"ratio hanoi / (dgst + age): {hanoi / pair:.2f}  (target <= 1.0; project goal <= 0.6)")
    print(f"ratio hanoi / (dgst + age + dgst): {hanoi / full:.2f}")


if __name__ == "__main__":
    main()
