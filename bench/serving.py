"""The portal as deployed — gunicorn, 2 sync workers, ``--preload`` (docs/deploy.md § 5) —
under a C load generator, ``wrk`` (Debian package ``wrk``; installed by this script when
missing, as ``scripts/setup`` installs Chromium):

    .venv/bin/python bench/serving.py [--seconds 10] [--database-url URL]

1. Requests/s of the anchor (``HttpResponse("ok")`` behind ``login_required``), the student
   grades page and a certificate re-download, each with 2 connections for ``--seconds``, and
   the ratio of each page to the anchor (goals: ≥ 0.5× and ≥ 0.8×).
2. Worker recycling: ``--max-requests 300`` without jitter, so that both workers are
   recycled at about the same moment, for 20 s, with and without ``--preload``; the longest
   response time shows the stall of a worker importing the portal on its first request.

The demo data (``bench/pages.py``'s ``setup``) are loaded into a scratch SQLite file unless
``--database-url`` names a database. ``measure()`` returns the rows for ``bench/run.py``.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from report import say

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import pages  # noqa: E402

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn(port: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "gunicorn"), "bench_wsgi:application"]
    command += ["--chdir", str(BENCH), "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout", "60", "--log-level", "warning", *extra]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(30)


def _wrk(url: str, cookie: str, seconds: float) -> dict[str, float]:
    """Requests/s and the longest response (ms) of ``seconds`` of GETs on 2 connections."""
    headers = ["-H", f"Cookie: {cookie}", "-H", "Accept-Language: fr", "-H", "Host: localhost"]
    out = subprocess.run(
        [ensure_wrk(), "-t1", "-c2", f"-d{seconds:g}s", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{url}: error responses\n{out}")
    latency = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\b", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if latency is None or rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {"rate": float(rate[1]), "max_ms": float(latency[1]) * UNITS[latency[2]]}


def measure(seconds: float = 10.0) -> list[dict[str, Any]]:
    """Django must be set up on the demo data (``pages.setup()``)."""
    targets = [
        (what, goal, path, pages._session_cookie(user))
        for what, goal, path, user in pages._targets()
    ]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _gunicorn(port, "--preload")
    try:
        for _what, _goal, path, cookie in targets:
            _wrk(base + path, cookie, 1)  # warm-up
        results = {what: _wrk(base + path, cookie, seconds) for what, _g, path, cookie in targets}
    finally:
        _stop(server)
    anchor = results[targets[0][0]]["rate"]
    rows: list[dict[str, Any]] = []
    for what, goal, _path, _cookie in targets:
        rate = results[what]["rate"]
        rows.append(
            {
                "what": f"gunicorn + wrk : {what}",
                "goal": f"≥ {goal}× repère" if goal is not None else "repère",
                "value": f"{rate:.0f} req/s",
                "ratio": round(rate / anchor, 2),
                "ok": goal is None or rate / anchor >= goal,
            }
        )
    anchor_path, anchor_cookie = targets[0][2], targets[0][3]
    for preload in (True, False):
        port = _free_port()
        flags = ["--max-requests", "300", "--max-requests-jitter", "0"]
        server = _gunicorn(port, *flags, *(["--preload"] if preload else []))
        try:
            result = _wrk(f"http://127.0.0.1:{port}{anchor_path}", anchor_cookie, 20)
        finally:
            _stop(server)
        rows.append(
            {
                "what": "recyclage des workers (--max-requests 300), "
                + ("avec --preload" if preload else "sans --preload (avant)"),
                "goal": "réponse la plus lente < 1 s" if preload else "",
                "value": f"{result['rate']:.0f} req/s, max {result['max_ms']:.0f} ms",
                "ok": result["max_ms"] < 1000 if preload else None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    pages.setup(args.database_url)
    say("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for row in measure(args.seconds):
        ratio = f"{row['ratio']:.2f}×" if "ratio" in row else ""
        say(f"{row['what']:70} {row['goal']:>28} {row['value']:>28} {ratio:>6}")
    say("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
