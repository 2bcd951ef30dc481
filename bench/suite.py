"""CPU of the test suite as issue 12 measures it: pytest on SQLite without the browser tests.

    .venv/bin/python bench/suite.py [--runs 3]

Each run is a fresh ``pytest -m "not e2e"`` process on the embedded SQLite database, timed by
the operating system (user + system CPU of pytest and of every process it starts: workers,
``migrate`` in a fresh process…). A ``--collect-only`` first, not counted, writes the bytecode
and the rewritten test modules that every later run reuses, as a developer's second run does.
Prints each run, the median and the goal (≤ 240 s of CPU), with the load average before and
after each run and an anchor: the CPU of a fixed pure-Python loop in a fresh process, timed
before each run. These machines share their cores: the same suite took 218 to 250 s of CPU
within one hour, and the anchor moves with it. Quote the median, on an idle machine.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from report import say

ROOT = Path(__file__).resolve().parent.parent
GOAL_CPU_S = 240.0
PYTEST = [sys.executable, "-m", "pytest", "-m", "not e2e", "-q", "-p", "no:cacheprovider"]


def _environment() -> dict[str, str]:
    """The developer's environment on SQLite, bytecode written (as scripts/test does)."""
    return {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTHONDONTWRITEBYTECODE"}
    }


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


ANCHOR = "sum(i * i % 7 for i in range(6_000_000))"


def _anchor() -> float:
    """CPU seconds of a fixed loop in a fresh process: how fast the machine is right now."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", ANCHOR], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _run(args: list[str]) -> tuple[float, float, float, str]:
    """User CPU, system CPU, wall seconds and pytest's last line of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=_environment(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode != 0:
        failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        raise SystemExit("\n".join([f"pytest failed (exit {done.returncode}): {last}", *failed]))
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, wall, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    if runs < 1:
        parser.error("--runs: at least 1")
    _run([*PYTEST, "--collect-only"])
    cpu = []
    header = f"{'run':>4} {'user s':>8} {'sys s':>7} {'CPU s':>7} {'wall s':>7} {'anchor s':>8}"
    say(f"{header}  load before → after")
    for n in range(1, runs + 1):
        load = _load()
        anchor = _anchor()
        user, system, wall, last = _run(PYTEST)
        cpu.append(user + system)
        figures = f"{user:8.1f} {system:7.1f} {user + system:7.1f} {wall:7.1f} {anchor:8.2f}"
        say(f"{n:>4} {figures}  {load} → {_load()}")
    say(f"pytest: {last}")
    median = statistics.median(cpu)
    verdict = "met" if median <= GOAL_CPU_S else "missed"
    say(
        f"median CPU {median:.1f} s (min {min(cpu):.1f}, max {max(cpu):.1f}); "
        f"goal ≤ {GOAL_CPU_S:.0f} s: {verdict}"
    )


if __name__ == "__main__":
    main()
