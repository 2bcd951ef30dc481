"""Cohort files to measure ``import_cohort`` against its limits (SECURITY.md #31).

.venv/bin/python bench/cohort_files.py students N OUT   # the demo's 26 students repeated to N
.venv/bin/python bench/cohort_files.py deep LEVELS OUT  # a programme LEVELS lists deep

Then, on a throwaway database:
DATABASE_URL=sqlite:////tmp/bench-cohort.sqlite3 /usr/bin/time -v \\
    .venv/bin/python manage.py import_cohort OUT     # « Maximum resident set size »
"""

import json
import sys
from pathlib import Path

from report import say

DEMO = Path(__file__).resolve().parent.parent / "demo" / "cs2600a-2024-2025.json"


def students_file(n: int, out: Path) -> None:
    """The demo cohort with ``n`` students: same grades and absences, new numbers and e-mails."""
    doc = json.loads(DEMO.read_bytes())
    model = doc["students"]
    doc["students"] = [
        {**model[i % len(model)], "number": f"9{i:07d}", "email": f"eleve{i}@example.org"}
        for i in range(n)
    ]
    # Written like the demo file (indented by 2), so the size per student is the same.
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def deep_file(levels: int, out: Path) -> None:
    out.write_bytes(b'{"programme": ' + b"[" * levels + b"]" * levels + b', "students": []}')


if __name__ == "__main__":
    kind, count, target = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    (students_file if kind == "students" else deep_file)(count, target)
    size = target.stat().st_size
    say(f"{target}: {size:,} octets ({size / 2**20:.1f} Mo)")
