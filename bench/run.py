"""Every performance goal of issue 11, side by side in one run, printed as one table.

    .venv/bin/python bench/run.py [--students 64000] [--certificates 1000] [--quick]
                                  [--databases sqlite,postgresql] [--only pages,jury,...]

Each benchmark runs in a process of its own on a database of its own: a scratch SQLite file,
then (unless ``--databases sqlite``) a database of a throwaway PostgreSQL 15 cluster started
by ``scripts/pg-throwaway`` around a second run of this script. The anchors are measured in
the same run: a trivial authenticated view for the pages, a bare WeasyPrint render for the
certificate. The load average is printed before and after each benchmark: figures taken on a
busy machine are not comparable. ``--quick`` shrinks the data sets (a smoke run, not figures).
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from report import progress, say

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
MARK = "@@ROWS "

# name → Python run in the child, with DATABASE_URL and the sizes in its environment.
CHILDREN: dict[str, str] = {
    "pages": """
import pages
pages.setup(os.environ["DATABASE_URL"])
rows = pages.measure(seconds=float(os.environ["BENCH_SECONDS"]))
""",
    "serving": """
import pages, serving
pages.setup(os.environ["DATABASE_URL"])
rows = serving.measure(seconds=float(os.environ["BENCH_SECONDS"]))
""",
    "certificates": """
import certificates
rows = certificates.measure(students=int(os.environ["BENCH_CERTIFICATES"]), workers=2)
""",
    "jury": """
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnam_cs.settings")
import jury
rows = jury.measure(students=int(os.environ["BENCH_STUDENTS"]),
                    database_url=os.environ["DATABASE_URL"])
""",
    "import": """
import import_export
rows = import_export.measure(os.environ["DATABASE_URL"], students=int(os.environ["BENCH_STUDENTS"]))
""",
}


def _load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _database_url(name: str, vendor: str, workdir: Path) -> str:
    if vendor == "sqlite":
        path = workdir / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base = os.environ["DATABASE_URL"]
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "bench_{name}"')
        connection.execute(f'CREATE DATABASE "bench_{name}"')
    return base.rsplit("/", 1)[0] + f"/bench_{name}"


def run_child(name: str, vendor: str, workdir: Path, sizes: dict[str, str]) -> dict[str, Any]:
    env = {
        **os.environ,
        **sizes,
        "DATABASE_URL": _database_url(name, vendor, workdir),
        "DJANGO_PRIVATE_ROOT": str(workdir / f"private-{name}"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
    }
    code = (
        "import json, os, sys\n"
        f"sys.path[:0] = [{str(BENCH)!r}, {str(ROOT)!r}]\n"
        + CHILDREN[name]
        + f"\nsys.stdout.write({MARK!r} + json.dumps(rows, default=str) + '\\n')\n"
    )
    before, started = _load(), time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-6000:])
        raise RuntimeError(f"benchmark {name} on {vendor} failed ({done.returncode})")
    return {
        "rows": json.loads(lines[-1][len(MARK) :]),
        "load_before": before,
        "load_after": _load(),
        "seconds": round(time.perf_counter() - started),
    }


def run_all(vendor: str, names: list[str], sizes: dict[str, str]) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"cnam-bench-{vendor}-"))
    results = {}
    try:
        for name in names:
            progress(f"… {name} ({vendor}), charge {_load()}")
            results[name] = run_child(name, vendor, workdir, sizes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    value = str(row.get("value", ""))
    if row.get("ratio") is not None:
        value += f" ({float(row['ratio']):.2f}×)"
    return value


def _verdict(rows: list[dict[str, Any] | None]) -> str:
    oks = [row.get("ok") for row in rows if row is not None and row.get("ok") is not None]
    if not oks:
        return ""
    return "oui" if all(oks) else "NON"


def _key(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Rows of two databases meet on their label: a trailing « (…) » (query count, CPU)
    moves into the value."""
    what = str(row["what"])
    found = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", what)
    if found is None:
        return what, row
    return found[1], {**row, "value": f"{row.get('value', '')} ({found[2]})"}


def print_table(by_vendor: dict[str, dict[str, Any]], names: list[str]) -> bool:
    vendors = list(by_vendor)
    say(
        f"# bench/run.py — {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, "
        f"{os.cpu_count()} cœurs, Python {platform.python_version()}"
    )
    say()
    say("| mesure | objectif | " + " | ".join(vendors) + " | atteint |")
    say("|---|---|" + "---|" * len(vendors) + "---|")
    all_ok = True
    for name in names:
        keyed: dict[str, dict[str, dict[str, Any]]] = {}
        for vendor in vendors:
            for raw in by_vendor[vendor].get(name, {}).get("rows", []):
                what, row = _key(raw)
                keyed.setdefault(what, {})[vendor] = row
        for what, per_vendor in keyed.items():
            cells = [per_vendor.get(v) for v in vendors]
            goal = next((str(r.get("goal", "")) for r in cells if r is not None), "")
            verdict = _verdict(cells)
            all_ok &= verdict != "NON"
            row_cells = " | ".join(_cell(c) for c in cells)
            say(f"| {what} | {goal} | {row_cells} | {verdict} |")
    say()
    for vendor in vendors:
        for name in names:
            r = by_vendor[vendor].get(name)
            if r is not None:
                say(
                    f"- {name} ({vendor}) : {r['seconds']} s, charge avant {r['load_before']}, "
                    f"après {r['load_after']}"
                )
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=64000)
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per page measured")
    parser.add_argument("--quick", action="store_true", help="small data sets (smoke run)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--only", default=",".join(CHILDREN))
    parser.add_argument("--json", type=Path, help="(internal) write the results here")
    args = parser.parse_args()
    if args.quick:
        args.students, args.certificates, args.seconds = 4000, 100, 2.0
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - set(CHILDREN)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    sizes = {
        "BENCH_STUDENTS": str(args.students),
        "BENCH_CERTIFICATES": str(args.certificates),
        "BENCH_SECONDS": str(args.seconds),
    }
    vendors = [v for v in args.databases.split(",") if v]
    if args.json is not None:  # the PostgreSQL half, inside pg-throwaway
        args.json.write_text(json.dumps(run_all(vendors[0], names, sizes)))
        return
    by_vendor: dict[str, dict[str, Any]] = {}
    if "sqlite" in vendors:
        by_vendor["sqlite"] = run_all("sqlite", names, sizes)
    if "postgresql" in vendors:
        out = Path(tempfile.mkdtemp(prefix="cnam-bench-")) / "postgresql.json"
        command = [str(ROOT / "scripts" / "pg-throwaway"), PYTHON, str(BENCH / "run.py")]
        command += ["--databases", "postgresql", "--json", str(out), "--only", ",".join(names)]
        command += ["--students", str(args.students), "--certificates", str(args.certificates)]
        command += ["--seconds", str(args.seconds)]
        subprocess.run(command, cwd=ROOT, check=True)
        by_vendor["postgresql"] = json.loads(out.read_text())
    ok = print_table(by_vendor, names)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
