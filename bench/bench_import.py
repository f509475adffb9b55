"""Benchmark: the CSV import vs the fastest plain load of the same rows by hand.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--repeat 3]
        [--pg postgresql+psycopg://user@host:port/postgres] [--dir /tmp/bulkprofiles-bench-import]

Writes two 12-column CSV files of N rows (email, names, birthday, gender,
city, country, registration date and four custom fields: integer, float,
boolean, text): ``load.csv`` (N new emails) and ``upsert.csv`` (half of the
rows match profiles of ``load.csv``, half are new).  Then, on SQLite and (with
``--pg``) on PostgreSQL, each case in its own process on a fresh copy of the
same store:

- **load**: ``load.csv`` into an empty database; ours is ``bulkprofiles
  import`` (``core.importer.run_import``: validation of every cell, staging,
  set-based merge in batches, task record) against a plain load by hand:
  ``csv.reader``, the values converted to their types, one ``executemany`` in
  one transaction on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL;
- **upsert**: ``upsert.csv`` matched by email into the database of N profiles
  ``load.csv`` made; ours against a hand-written upsert: the rows loaded into
  a staging table (``executemany`` / ``COPY``), then one ``INSERT ... SELECT
  ... ON CONFLICT (database_id, email) DO UPDATE`` (with the unique index it
  needs made beforehand, outside the timing).

Prints a Markdown table: median seconds of each side, their ratio, peak memory
of each process (VmHWM), and the load average.  Not a test; nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bulkprofiles_gui.core.fields import FieldType  # noqa: E402
from bulkprofiles_gui.core.store import Store, open_store  # noqa: E402

DATABASE = "Bench"
HEADER = [
    "email",
    "firstName",
    "lastName",
    "birthday",
    "gender",
    "city",
    "country",
    "registeredAt",
    "loyaltyPoints",
    "bonus",
    "vip",
    "segment",
]
CUSTOM = (
    ("loyalty_points", "Loyalty points", FieldType.INTEGER),
    ("bonus", "Bonus", FieldType.FLOAT),
    ("vip", "VIP", FieldType.BOOLEAN),
    ("segment", "Segment", FieldType.STRING),
)
CITIES = ("Berlin", "Paris", "Rome", "Madrid", "Vienna", "Prague", "Oslo", "Lisbon")
COUNTRIES = ("DE", "FR", "IT", "ES", "AT", "CZ", "NO", "PT")
NAMES = ("Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas")


# -- data -----------------------------------------------------------------------------------
def _row(rng: random.Random, email: str) -> list[str]:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
    registered = dt.datetime(2018, 1, 1) + dt.timedelta(seconds=rng.randrange(250_000_000))
    return [
        email,
        rng.choice(NAMES),
        rng.choice(NAMES) + "son",
        born.isoformat(),
        rng.choice(("male", "female")),
        rng.choice(CITIES),
        rng.choice(COUNTRIES),
        registered.isoformat(timespec="seconds"),
        str(rng.randrange(10_000)),
        f"{rng.random() * 100:.2f}",
        rng.choice(("true", "false")),
        rng.choice(("new", "regular", "lapsed")),
    ]


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    load, upsert = folder / "load.csv", folder / "upsert.csv"
    if load.exists() and upsert.exists() and _lines(load) == rows + 1:
        return load, upsert
    rng = random.Random(7)
    with load.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(_row(rng, f"c{i}@example.com") for i in range(rows))
    with upsert.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(
            _row(rng, f"c{i}@example.com" if i % 2 == 0 else f"n{i}@example.com")
            for i in range(rows)
        )
    return load, upsert


def _lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


# -- stores ---------------------------------------------------------------------------------
def make_empty_store(url: str) -> None:
    store = open_store(url, create=True)
    with store.begin() as conn:
        db_id = store.create_database(conn, DATABASE)
        for key, label, ftype in CUSTOM:
            store.add_custom_field(conn, db_id, key, label, ftype)
    store.close()


def _columns(store: Store, conn: Any) -> tuple[int, list[str]]:
    db_id = store.database_id(conn, DATABASE)
    by_key = {f.key: f.column_name for f in store.fields(conn, db_id)}
    keys = [
        "email", "first_name", "last_name", "birthday", "gender", "city", "country",
        "registered_at", "loyalty_points", "bonus", "vip", "segment",
    ]  # fmt: skip
    return db_id, [str(by_key[k]) for k in keys]


def _typed(cells: list[str]) -> tuple[Any, ...]:
    return (
        cells[0],
        cells[1],
        cells[2],
        dt.date.fromisoformat(cells[3]),
        cells[4],
        cells[5],
        cells[6],
        dt.datetime.fromisoformat(cells[7]),
        int(cells[8]),
        float(cells[9]),
        cells[10] == "true",
        cells[11],
    )


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's SQLite types store (dates as ISO text, booleans as 0/1)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows(path: Path, db_id: int, sqlite: bool) -> Any:
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        now = dt.datetime.now()
        for cells in reader:
            typed = _typed(cells)
            if sqlite:
                typed = tuple(_sqlite_value(v) for v in typed)
                yield (db_id, *typed, "subscribed", _sqlite_value(now), _sqlite_value(now))
            else:
                yield (db_id, *typed, "subscribed", now, now)


def _insert_columns(columns: list[str]) -> list[str]:
    return ["database_id", *columns, "global_status", "created_at", "updated_at"]


def plain_load(store: Store, path: Path, table: str | None = None) -> int:
    """The rows of ``path`` into ``profiles`` (or a staging ``table``) by hand."""
    with store.begin() as conn:
        db_id, columns = _columns(store, conn)
        names = _insert_columns(columns)
        target = table or "profiles"
        driver = conn.connection.driver_connection
        quoted = ", ".join(f'"{n}"' for n in names)
        n = 0
        if store.dialect == "sqlite":
            marks = ", ".join("?" for _ in names)
            cur = driver.executemany(  # type: ignore[union-attr]
                f'INSERT INTO "{target}" ({quoted}) VALUES ({marks})', _rows(path, db_id, True)
            )
            n = cur.rowcount
        else:
            with driver.cursor() as cur, cur.copy(f'COPY "{target}" ({quoted}) FROM STDIN') as cp:  # type: ignore[union-attr]
                for row in _rows(path, db_id, False):
                    cp.write_row(row)
                    n += 1
    return n


def hand_upsert(store: Store, path: Path) -> int:
    with store.begin() as conn:
        _db_id, columns = _columns(store, conn)
    names = _insert_columns(columns)
    staging = "bench_staging"
    with store.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{staging}"')
        conn.exec_driver_sql(
            f'CREATE TABLE "{staging}" AS SELECT {", ".join(names)} FROM profiles WHERE 1 = 0'
        )
    started = time.perf_counter()
    plain_load(store, path, staging)
    quoted = ", ".join(f'"{n}"' for n in names)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in [*columns[1:], "updated_at"])
    with store.begin() as conn:
        result = conn.exec_driver_sql(
            f'INSERT INTO profiles ({quoted}) SELECT {quoted} FROM "{staging}" WHERE true '
            f"ON CONFLICT (database_id, email) DO UPDATE SET {sets}"
        )
        changed = result.rowcount
    store.__dict__["_hand_seconds"] = time.perf_counter() - started
    return int(changed)


def ours(store: Store, path: Path) -> dict[str, Any]:
    from bulkprofiles_gui.core.importer import ImportSpec, run_import
    from bulkprofiles_gui.core.progress import JobState, Progress

    stamps: list[float] = []

    def on_progress(_p: Progress) -> None:
        stamps.append(time.perf_counter())

    started = time.perf_counter()
    summary = run_import(
        store, ImportSpec(file=str(path), database=DATABASE), JobState(on_progress=on_progress)
    )
    seconds = time.perf_counter() - started
    gaps = [b - a for a, b in zip([started, *stamps], [*stamps, started + seconds], strict=True)]
    return {
        "seconds": seconds,
        "status": summary.status,
        "error": summary.error,
        "added": summary.added,
        "updated": summary.updated,
        "not_imported": summary.not_imported,
        "max_gap": max(gaps),
    }


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_case(side: str, case: str, url: str, path: Path) -> dict[str, Any]:
    store = open_store(url)
    try:
        if side == "ours":
            result = ours(store, path)
        elif case == "load":
            started = time.perf_counter()
            n = plain_load(store, path)
            result = {"seconds": time.perf_counter() - started, "added": n}
        else:
            n = hand_upsert(store, path)
            result = {"seconds": store.__dict__["_hand_seconds"], "changed": n}
    finally:
        store.close()
    result["peak_mb"] = peak_rss_mb()
    return result


# -- copies of the stores -------------------------------------------------------------------
class Backend:
    def __init__(self, name: str, folder: Path, admin: str | None = None) -> None:
        self.name, self.folder, self.admin = name, folder, admin

    def url(self, db: str) -> str:
        if self.admin is None:
            return f"sqlite:///{self.folder / (db + '.sqlite3')}"
        return self.admin.rsplit("/", 1)[0] + f"/{db}"

    def drop(self, db: str) -> None:
        if self.admin is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.folder / (db + '.sqlite3')}{suffix}").unlink(missing_ok=True)
            return
        engine = create_engine(self.admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        engine.dispose()

    def create(self, db: str) -> None:
        self.drop(db)
        if self.admin is not None:
            engine = create_engine(self.admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db}"'))
            engine.dispose()

    def copy(self, source: str, target: str) -> str:
        self.drop(target)
        if self.admin is None:
            src = self.folder / (source + ".sqlite3")
            con = sqlite3.connect(src)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            shutil.copyfile(src, self.folder / (target + ".sqlite3"))
        else:
            engine = create_engine(self.admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
            engine.dispose()
        return self.url(target)


def spawn(side: str, case: str, url: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--case", side, case, "--url", url, "--file", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()
        return {"error": tail[-1] if tail else "?", "seconds": float("nan"), "peak_mb": 0.0}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_backend(backend: Backend, load: Path, upsert: Path, repeat: int) -> list[dict[str, Any]]:
    backend.create("bench_empty")
    make_empty_store(backend.url("bench_empty"))
    # The 1,000,000-profile database for the upsert, made by the plain load.
    spawn("hand", "load", backend.copy("bench_empty", "bench_full"), load)
    store = open_store(backend.url("bench_full"))
    with store.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_bench_email ON profiles (database_id, email)")
    store.analyze()
    store.close()
    results = []
    for case, path, source in (("load", load, "bench_empty"), ("upsert", upsert, "bench_full")):
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "hand": []}
        for _ in range(repeat):
            for side in ("ours", "hand"):
                url = backend.copy(source, "bench_run")
                if side == "hand" and case == "upsert":
                    _unique_email(url)
                runs[side].append(spawn(side, case, url, path))
                print(f"  {backend.name} {case} {side}: {runs[side][-1]}", file=sys.stderr)
        results.append({"backend": backend.name, "case": case, **_medians(runs)})
    backend.drop("bench_run")
    return results


def _unique_email(url: str) -> None:
    store = open_store(url)
    with store.begin() as conn:
        conn.exec_driver_sql("CREATE UNIQUE INDEX ux_bench_email ON profiles (database_id, email)")
    store.close()


def _medians(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side, found in runs.items():
        out[f"{side}_s"] = statistics.median(r["seconds"] for r in found)
        out[f"{side}_mb"] = max(r["peak_mb"] for r in found)
        out[f"{side}_detail"] = found[-1]
    out["ratio"] = out["ours_s"] / out["hand_s"]
    return out


def table(results: list[dict[str, Any]], rows: int, repeat: int) -> str:
    load = os.getloadavg()
    lines = [
        f"{rows:,} rows x 12 columns, median of {repeat}; load average at the end "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        "",
        "| backend | case | import s | by hand s | ratio | peak MB import / hand "
        "| added / updated |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        d = r["ours_detail"]
        lines.append(
            f"| {r['backend']} | {r['case']} | {r['ours_s']:.1f} | {r['hand_s']:.1f} | "
            f"{r['ratio']:.2f} | {r['ours_mb']:.0f} / {r['hand_mb']:.0f} | "
            f"{d.get('added', 0):,} / {d.get('updated', 0):,} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", help="admin URL of a PostgreSQL server (adds the PostgreSQL rows)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bulkprofiles-bench-import"))
    parser.add_argument("--case", nargs=2, metavar=("SIDE", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], args.case[1], args.url, args.file)))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    load, upsert = write_files(args.dir, args.rows)
    backends = []
    if args.only != "postgresql":
        backends.append(Backend("SQLite", args.dir))
    if args.pg and args.only != "sqlite":
        backends.append(Backend("PostgreSQL", args.dir, args.pg))
    results = []
    for backend in backends:
        results += bench_backend(backend, load, upsert, args.repeat)
    print(table(results, args.rows, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
