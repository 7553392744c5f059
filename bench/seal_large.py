"""Sealing one large file (10 GiB by default): wall time, throughput and peak memory.

Run: .venv/bin/python bench/seal_large.py [--size-gib 10] [--dir /var/tmp] [--warm] [--verify]

A random file is written to ``--dir`` (a disk folder by default: tmpfs would have to hold
the file and its ciphertext in memory), then sealed by ``seal_file`` into the same folder in
a child process, as ``hanoi evidence seal`` seals each file: through a temporary file,
fsynced, then linked under its name. The script prints the wall time, MiB/s and the child's
peak RSS. Before sealing, the source is written out and dropped from the page cache, so it
is read from the disk as a fresh evidence file would be; ``--warm`` keeps it cached.
``--verify`` then decrypts the output with the ``age`` CLI and checks both SHA-256 the seal
reported. Both files are deleted at the end. No thresholds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage  # type: ignore[import-untyped]

GIB = 1 << 30
MIB = 1 << 20
BLOCK = 16 * MIB

# The child reports its own peak RSS (VmHWM): the ru_maxrss that wait4 gives counts the
# parent's memory too, which the child shared from its fork until its exec.
SEAL = (
    "import json, sys; from pathlib import Path; from hanoi.evidence.seal import seal_file; "
    "s = seal_file(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])); "
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]; "
    "print(json.dumps({**s.__dict__, 'peak_rss_kib': int(hwm)}))"
)


def write_random(path: Path, size: int, *, evict: bool) -> None:
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(BLOCK, left))
            out.write(block)
            left -= len(block)
        out.flush()
        os.fsync(out.fileno())
        if evict:  # only this file's pages: a cold read, as for evidence fresh off a disk
            os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=10.0)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp"))
    parser.add_argument("--warm", action="store_true", help="seal from the page cache")
    parser.add_argument("--verify", action="store_true", help="decrypt with age afterwards")
    args = parser.parse_args()

    size = int(args.size_gib * GIB)
    free = shutil.disk_usage(args.dir).free
    if free < 2 * size + GIB:
        raise SystemExit(
            f"{args.dir} has {free / GIB:.1f} GiB free: needs {2 * size / GIB + 1:.1f}"
        )
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="hanoi-seal-large-") as folder:
        work = Path(folder)
        source, sealed = work / "evidence.bin", work / "evidence.bin.age"
        start = time.perf_counter()
        write_random(source, size, evict=not args.warm)
        print(f"wrote {size / GIB:.1f} GiB of random data in {time.perf_counter() - start:.0f} s")

        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", SEAL, str(source), recipient, str(sealed)],
            stdout=subprocess.PIPE,
        )
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("the seal failed")
        result = json.loads(output)
        cpu = usage.ru_utime + usage.ru_stime
        print(
            f"sealed {size / GIB:.1f} GiB ({'page cache' if args.warm else 'cold'}) "
            f"on {args.dir}: {elapsed:.1f} s, {size / MIB / elapsed:.0f} MiB/s, "
            f"peak RSS {result['peak_rss_kib'] / 1024:.0f} MiB, CPU {cpu:.1f} s "
            f"(user {usage.ru_utime:.1f}, system {usage.ru_stime:.1f}), {os.cpu_count()} CPUs"
        )
        assert result["plaintext_size"] == size
        assert result["ciphertext_size"] == sealed.stat().st_size

        if args.verify:
            source.unlink()  # room for nothing more: the check streams
            key = work / "key.txt"
            key.write_text(f"{identity}\n")
            start = time.perf_counter()
            age = subprocess.Popen(
                ["age", "-d", "-i", str(key), str(sealed)], stdout=subprocess.PIPE
            )
            assert age.stdout is not None
            digest = hashlib.file_digest(age.stdout, "sha256").hexdigest()
            if age.wait() != 0 or digest != result["plaintext_sha256"]:
                raise SystemExit("age -d did not give back the sealed plaintext")
            with sealed.open("rb") as f:
                if hashlib.file_digest(f, "sha256").hexdigest() != result["ciphertext_sha256"]:
                    raise SystemExit("the ciphertext's SHA-256 is not the one the seal reported")
            took = time.perf_counter() - start
            print(f"age -d gives back the plaintext, both hashes match ({took:.0f} s)")


if __name__ == "__main__":
    main()
