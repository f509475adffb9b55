"""Start-up time of the command line, each command in its own process.

    .venv/bin/python bench/bench_startup.py [--repeat 9] [--profiles 20000]

Makes a default store in a temporary user folder (``bulkprofiles demo``, the
size the window's first start makes: 20,000 profiles), then runs each command
``--repeat`` times through ``.venv/bin/bulkprofiles``, as an operator would,
and prints the median and the fastest wall-clock time of each, with the load
average before and after (the machine is shared: a loaded one is slower).
Two floors for comparison: the interpreter alone, and the interpreter
importing SQLAlchemy's ORM (which any command that opens a store needs).
Targets (issue 14): ``--help`` under 0.3 s, ``info`` under 1 s on a quiet
machine.  ``python -X importtime -m bulkprofiles_gui info`` says where the
time of one command goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
SELECT_JOB = {
    "database": "Demo customers",
    "rules": {
        "combinator": "and",
        "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
    },
}


def commands(bulkprofiles: str, python: str, job: Path) -> list[tuple[str, list[str]]]:
    """(label, argv) of what is measured, floors first."""
    return [
        ("python -c pass (floor)", [python, "-c", "pass"]),
        ("python -c 'import sqlalchemy.orm' (floor)", [python, "-c", "import sqlalchemy.orm"]),
        ("bulkprofiles --help", [bulkprofiles, "--help"]),
        ("bulkprofiles import --help", [bulkprofiles, "import", "--help"]),
        ("bulkprofiles info", [bulkprofiles, "info"]),
        ("bulkprofiles info --json", [bulkprofiles, "info", "--json"]),
        ("bulkprofiles db list", [bulkprofiles, "db", "list"]),
        ("bulkprofiles tasks", [bulkprofiles, "tasks"]),
        ("bulkprofiles select JOB --count", [bulkprofiles, "select", str(job), "--count"]),
    ]


def timed_run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")
    return seconds


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command (default 9)")
    parser.add_argument("--profiles", type=int, default=20_000, help="demo size (default 20,000)")
    args = parser.parse_args()
    bulkprofiles = str(VENV_BIN / "bulkprofiles")
    python = str(VENV_BIN / "python")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        home = Path(folder)
        env = {
            **{k: v for k, v in os.environ.items() if k != "BULKPROFILES_DB_URL"},
            "BULKPROFILES_CONFIG_DIR": str(home / "config"),
            "BULKPROFILES_DATA_DIR": str(home / "data"),
        }
        print(f"Making the default store ({args.profiles:,} demo profiles)...", flush=True)
        timed_run([bulkprofiles, "demo", "--profiles", str(args.profiles)], env)
        job = home / "select.json"
        job.write_text(json.dumps(SELECT_JOB), encoding="utf-8")
        measured = commands(bulkprofiles, python, job)
        for _label, argv in measured:  # warm the file cache once
            timed_run(argv, env)
        before = load()
        rows = []
        for label, argv in measured:
            times = [timed_run(argv, env) for _ in range(args.repeat)]
            rows.append((label, statistics.median(times), min(times)))
        after = load()
    print(f"\nMedian of {args.repeat} runs, each in a new process; {os.cpu_count()} cores,")
    print(f"load average {before} before, {after} after.\n")
    print("| command | median s | fastest s |")
    print("|---|---:|---:|")
    for label, median, fastest in rows:
        print(f"| {label} | {median:.3f} | {fastest:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
