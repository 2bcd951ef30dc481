"""``import_cohort`` of a 64,000-student file: wall time and peak memory of a fresh process.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/import_export.py \\
        [--students 64000]
    scripts/pg-throwaway .venv/bin/python bench/import_export.py

The file is built by ``bench/cohort_files.py`` (the demo's students repeated). The import runs
into a scratch database made for the run and dropped after it (a file next to the SQLite one,
or a new database on the same PostgreSQL server), so it is always a first import: every row
created, with its history. It runs in production mode (``DJANGO_DEBUG=false``: no query log).
A second import of the same file (nothing to change) is timed too.

From the combined runner::

    from bench.import_export import measure
    rows = measure(database_url, students=64000)  # [{"what", "goal", "value", "ok"}, …]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from report import say

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cohort_files import students_file  # noqa: E402

GOAL_SECONDS = 60.0
GOAL_MB = 500


def _env(database_url: str) -> dict[str, str]:
    env = os.environ.copy()
    env["DATABASE_URL"] = database_url
    env["DJANGO_DEBUG"] = "false"
    env.setdefault("DJANGO_SECRET_KEY", "bench-import-not-a-secret-" + "x" * 40)
    env.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    return env


def _run(args: list[str], database_url: str) -> tuple[float, int]:
    """Wall seconds and peak resident memory (bytes) of ``manage.py ARGS`` in a new process."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # wait4 gives this child's own usage (RUSAGE_CHILDREN would mix in the migrate run).
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)}: exit {child.returncode}\n{errors}")
    return elapsed, usage.ru_maxrss * 1024  # kilobytes on Linux


@contextmanager
def _scratch_database(database_url: str) -> Iterator[str]:
    """A new, migrated, empty database beside ``database_url``; dropped afterwards."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
        try:
            url = f"sqlite:///{folder / 'import.sqlite3'}"
            _run(["migrate", "-v0"], url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    name = f"bench_import_{os.getpid()}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(parts._replace(path=f"/{name}"))
        _run(["migrate", "-v0"], url)
        yield url
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(database_url: str, students: int = 64000) -> list[dict[str, Any]]:
    """Import a ``students`` file twice into a scratch database; rows for the combined runner:
    ``what``, ``goal``, ``value`` (text) and ``ok`` (the goal met)."""
    goal_seconds = GOAL_SECONDS  # the goal of issue 11, set for 64,000 students
    with tempfile.TemporaryDirectory(prefix="bench-import-file-") as folder:
        path = Path(folder) / "promo.json"
        students_file(students, path)
        size_mb = path.stat().st_size / 2**20
        with _scratch_database(database_url) as url:
            load = os.getloadavg()
            seconds, peak = _run(["import_cohort", str(path)], url)
            again, again_peak = _run(["import_cohort", str(path)], url)
    vendor = urlsplit(database_url).scheme
    what = f"import_cohort {students:,} students ({size_mb:.0f} MB)"
    load_text = f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    return [
        {
            "what": f"{what}, wall",
            "goal": f"≤ {goal_seconds:.0f} s",
            "value": f"{seconds:.1f} s ({vendor}, {load_text})",
            "ok": seconds <= goal_seconds,
        },
        {
            "what": f"{what}, peak memory",
            "goal": f"≤ {GOAL_MB} MB",
            "value": f"{peak / 2**20:.0f} MB",
            "ok": peak <= GOAL_MB * 2**20,
        },
        {
            "what": f"{what}, same file again (nothing to change)",
            "goal": "(no goal)",
            "value": f"{again:.1f} s, {again_peak / 2**20:.0f} MB",
            "ok": True,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=64000)
    options = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("DATABASE_URL is required (a scratch database is made beside it).")
    rows = measure(database_url, students=options.students)
    width = max(len(r["what"]) for r in rows)
    for row in rows:
        mark = "ok" if row["ok"] else "MISSED"
        say(f"{row['what']:<{width}}  {row['goal']:>10}  {row['value']:>14}  {mark}")
    load = os.getloadavg()
    say(f"load average now: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
