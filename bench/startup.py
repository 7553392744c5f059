"""The fixed cost of each `hanoi` command: how long a process takes to start, parse its
options, open the node and do (almost) nothing, against ``python -c pass`` in the same run.

Run: .venv/bin/python bench/startup.py [--rounds 7] [--dir /tmp] [--keep] [--baseline SRC]

A demo federation is built first (``hanoi demo --scenario-only``: the Secretariat, XA, XB
and XC on loopback, the scenario's requests exchanged, then everything stopped), and every
command runs as XB's officer on XB's node: a node with its identity, users, a verified
directory, requests, messages and ledger entries, on SQLite. Each command is a small case
(a 3-byte file to seal, a request that is already there), so what is measured is what the
command costs whatever its input: the interpreter, the imports, option parsing, opening
the node's settings, database and keys.

The commands run in rounds, one after the other in each round (so a burst of load on this
shared machine hits every command alike), each in a process of its own. Per command: the
median wall time, its ratio to the median of ``python -c pass``, the median CPU time
(user + system, from ``wait4``) and the peak RSS, from GNU time's ``%M`` when
``/usr/bin/time`` exists (else from ``wait4``, which may count this script's own few MiB).
Target: every command under 0.5 s (marked ``!`` when not). The second row is the floor of
a command that opens the node's database: a bare interpreter importing Typer with pydantic
and SQLAlchemy's ORM the way a command loads its code, nothing of Hanoi. No imports of
Hanoi here either, so the numbers are the children's alone.

Hanoi's modules are compiled to bytecode first (``compileall``, this tree's and the
baseline's), as an installed package has them: otherwise, with ``PYTHONDONTWRITEBYTECODE``
set (as it is in some environments), every run would compile each module it imports from
source again, some 0.1 to 0.2 s per command that an installed node never pays.

``--baseline SRC`` also runs every command from another source tree (``SRC`` is a folder
holding the ``hanoi`` package, e.g. an older commit's ``src`` from ``git archive``, put
first on ``PYTHONPATH``), right after the same command from this tree: a before/after
comparison made in the same minutes, on the same node.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HANOI = Path(sys.executable).with_name("hanoi")
GNU_TIME = Path("/usr/bin/time")
REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "tests" / "data" / "requests" / "mla.json"
TARGET_SECONDS = 0.5
# What every command that opens the node's database imports before any of Hanoi: Typer
# (which checks options with pydantic) and SQLAlchemy's ORM with the SQLite dialect, loaded
# as a command loads its code (hanoi.cli.lazy.code_loading: the garbage collector paused,
# then what was imported frozen out of it).
FLOOR = (
    "import gc; gc.disable(); import typer._adapters, sqlalchemy.orm, "
    "sqlalchemy.dialects.sqlite; gc.enable(); gc.freeze()"
)
# Terminal hints change how Rich lays out text: the children see what a pipe sees.
TERMINAL_VARS = ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


@dataclass
class Runs:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks_kib: list[int] = field(default_factory=list)


@dataclass
class Command:
    label: str
    argv: list[str]
    runs: dict[str, Runs] = field(default_factory=dict)  # by source tree: "this", "baseline"


def child_env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in TERMINAL_VARS and not key.startswith("HANOI_")
    }
    env |= {"HANOI_HOME": str(home), "HANOI_USER": "officer", "HANOI_ARGON2_PROFILE": "test"}
    return env


def run_once(argv: list[str], env: dict[str, str], work: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one run; exits on a failed run."""
    measured = work / "time.out"
    wrapped = argv
    if os.access(GNU_TIME, os.X_OK):
        wrapped = [str(GNU_TIME), "-f", "%M", "-o", str(measured), *argv]
    start = time.perf_counter()
    process = subprocess.Popen(
        wrapped, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {errors.decode()}")
    peak = usage.ru_maxrss
    if wrapped is not argv:
        peak = int(measured.read_text().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, peak


def compile_bytecode(package: Path) -> None:
    """Write the ``__pycache__`` of every module of ``package`` (see the docstring)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def build_federation(folder: Path) -> Path:
    """A demo federation in ``folder`` after its scenario; the home of XB's node."""
    port = subprocess.run(
        [sys.executable, "-c", "from hanoi.demo.serving import free_port_base as f; print(f())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"building the demo federation in {folder} (ports from {port}) ...", flush=True)
    subprocess.run(
        [str(HANOI), "demo", "--home", str(folder), "--port-base", port, "--scenario-only"],
        env=child_env(folder / "XB") | {"HANOI_HOME": str(folder)},
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return folder / "XB"


def sealable_request(home: Path, work: Path, env: dict[str, str]) -> str:
    """A request XB answered, that `hanoi evidence seal --request` accepts."""
    listed = subprocess.run(
        [str(HANOI), "request", "list", "--json", "--inbox"],
        env=env,
        capture_output=True,
        check=True,
    )
    for row in json.loads(listed.stdout):
        out = work / "probe"
        seal = [str(HANOI), "evidence", "seal", str(work / "three.bin"), "--out", str(out)]
        probe = subprocess.run(
            [*seal, "--request", row["reference"]],
            env=env,
            capture_output=True,
        )
        shutil.rmtree(out, ignore_errors=True)
        if probe.returncode == 0:
            return str(row["reference"])
    raise SystemExit(f"no request of {home} can take evidence")


def commands(home: Path, work: Path, reference: str) -> list[Command]:
    hanoi = str(HANOI)
    three = str(work / "three.bin")
    return [
        Command("python -c pass (reference)", [sys.executable, "-c", "pass"]),
        Command("floor: Typer, pydantic, SQLAlchemy ORM", [sys.executable, "-c", FLOOR]),
        Command("hanoi --help", [hanoi, "--help"]),
        Command("hanoi request --help", [hanoi, "request", "--help"]),
        Command("hanoi ledger --help", [hanoi, "ledger", "--help"]),
        Command("hanoi evidence seal --help", [hanoi, "evidence", "seal", "--help"]),
        Command("hanoi convention articles --json", [hanoi, "convention", "articles", "--json"]),
        Command("hanoi request new mla", [hanoi, "request", "new", "mla", "-o", "new.json"]),
        Command("hanoi request check (example MLA)", [hanoi, "request", "check", str(EXAMPLE)]),
        Command("hanoi node show", [hanoi, "node", "show"]),
        Command("hanoi directory show", [hanoi, "directory", "show"]),
        Command("hanoi db upgrade", [hanoi, "db", "upgrade"]),
        Command("hanoi exchange outbox", [hanoi, "exchange", "outbox"]),
        Command("hanoi request list", [hanoi, "request", "list"]),
        Command("hanoi request show", [hanoi, "request", "show", reference]),
        Command(
            "hanoi evidence seal --to XA (3 bytes)",
            [hanoi, "evidence", "seal", three, "--to", "XA", "--out", "package"],
        ),
        Command(
            "hanoi evidence seal --request (3 bytes)",
            [hanoi, "evidence", "seal", three, "--request", reference, "--out", "package"],
        ),
        Command("hanoi evidence verify", [hanoi, "evidence", "verify", str(work / "sealed")]),
        Command("hanoi ledger prove --index 0", [hanoi, "ledger", "prove", "--index", "0"]),
    ]


def tidy(work: Path) -> None:
    """Remove what the previous command wrote, so that the next run writes it anew."""
    shutil.rmtree(work / "package", ignore_errors=True)
    (work / "new.json").unlink(missing_ok=True)


def measure(rounds: int, home: Path, work: Path, baseline: Path | None) -> list[Command]:
    env = child_env(home)
    trees = {"this": env}
    if baseline is not None:
        path = os.pathsep.join(p for p in (str(baseline), env.get("PYTHONPATH")) if p)
        trees["baseline"] = env | {"PYTHONPATH": path}
    (work / "three.bin").write_bytes(b"abc")
    reference = sealable_request(home, work, env)
    sealed = [str(HANOI), "evidence", "seal", str(work / "three.bin"), "--to", "XA"]
    subprocess.run([*sealed, "--out", str(work / "sealed")], env=env, capture_output=True)
    table = commands(home, work, reference)
    print(f"{len(table)} commands, {rounds} rounds, as XB's officer, request {reference}")
    for number in range(1, rounds + 1):
        for command in table:
            for tree, tree_env in trees.items():
                tidy(work)
                wall, cpu, peak = run_once(command.argv, tree_env, work)
                runs = command.runs.setdefault(tree, Runs())
                runs.walls.append(wall)
                runs.cpus.append(cpu)
                runs.peaks_kib.append(peak)
        print(f"  round {number} of {rounds} done", flush=True)
    tidy(work)
    return table


def report(table: list[Command]) -> None:
    trees = list(table[0].runs)
    references = {tree: statistics.median(table[0].runs[tree].walls) for tree in trees}
    heading = " ".join(f"{'wall s':>7} {'ratio':>6} {'CPU s':>6} {'MiB':>6}  " for _ in trees)
    print(f"\n{'':<42} " + " ".join(f"{tree:<30}" for tree in trees))
    print(f"{'command':<42} {heading}")
    for command in table:
        cells = []
        for tree in trees:
            runs = command.runs[tree]
            wall = statistics.median(runs.walls)
            mark = "!" if wall >= TARGET_SECONDS else " "
            cells.append(
                f"{wall:7.3f} {wall / references[tree]:6.1f} {statistics.median(runs.cpus):6.3f} "
                f"{max(runs.peaks_kib) / 1024:6.1f} {mark}"
            )
        print(f"{command.label:<42} " + " ".join(cells))
    slowest = max(table[1:], key=lambda c: statistics.median(c.runs["this"].walls))
    print(
        f"\nslowest here: {slowest.label}, {statistics.median(slowest.runs['this'].walls):.3f} s "
        f"(target: every command under {TARGET_SECONDS} s); load average now "
        f"{os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs of each command")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the federation's folder")
    parser.add_argument("--baseline", type=Path, help="another source tree to compare with")
    args = parser.parse_args()
    compile_bytecode(REPO / "src" / "hanoi")
    if args.baseline is not None:
        compile_bytecode(args.baseline / "hanoi")
    folder = Path(tempfile.mkdtemp(prefix="hanoi-startup-", dir=args.dir))
    try:
        home = build_federation(folder / "federation")
        work = folder / "work"
        work.mkdir()
        report(measure(args.rounds, home, work, args.baseline))
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
