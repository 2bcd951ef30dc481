"""``export_results`` (INTERCHANGE.md « Results »): JSON and CSV of the demo cohort."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from certification.interchange import cohort_import
from enrolment.models import Enrolment
from lib.spreadsheet_safety import neutralise
from tests.certification.cohort_docs import cohort, encode

pytestmark = pytest.mark.django_db

DEMO = Path(settings.BASE_DIR) / "demo" / "cs2600a-2024-2025.json"


@pytest.fixture
def demo():
    cohort_import(data=DEMO.read_bytes(), by=None)


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_results", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_json_export_of_the_demo(demo):
    document = json.loads(export("CS2600A", "2024-2025"))
    assert document["programme"] == "CS2600A"
    assert document["year"] == "2024-2025"
    numbers = [s["number"] for s in document["students"]]
    assert numbers == sorted(numbers)
    assert len(numbers) == 26
    assert numbers[0] == "0500117"  # leading zeros kept, sorted as strings
    assert document["students"][numbers.index("2400106")] == {
        "number": "2400106",
        "ues": [
            {"code": "RSV206", "average": "15.00", "status": "validated", "credits": 8},
            {"code": "RSV207", "average": None, "status": "pending", "credits": 0},
        ],
        "credits": 8,
        "absence_rate": "0.00",
        "defaillant": False,
        "fees_paid": True,
        "eligible": False,
        "reasons": ["makeup_pending:RSV207-CT", "ue_pending:RSV207"],
    }


def test_withdrawn_enrolments_are_left_out(demo):
    Enrolment.objects.filter(student__number="2400102").update(status=Enrolment.Status.WITHDRAWN)
    numbers = [s["number"] for s in json.loads(export("CS2600A", "2024-2025"))["students"]]
    assert "2400102" not in numbers
    assert len(numbers) == 25


def test_csv_export_of_the_demo(demo):
    text = export("CS2600A", "2024-2025", "--format", "csv")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "number",
        "last_name",
        "first_name",
        "RSV206_average",
        "RSV206_status",
        "RSV206_credits",
        "RSV207_average",
        "RSV207_status",
        "RSV207_credits",
        "credits",
        "absence_rate",
        "defaillant",
        "fees_paid",
        "eligible",
        "reasons",
    ]
    by_number = {row[0]: row for row in rows[1:]}
    assert len(by_number) == 26
    assert by_number["2400105"] == [
        "2400105",
        "Moreau",
        "Théo",
        "4.33",
        "failed",
        "0",
        "11.50",
        "validated",
        "4",
        "4",
        "0.00",
        "true",
        "true",
        "false",
        "defaillant_missed:RSV206-CT|ue_failed:RSV206",
    ]
    assert by_number["2400106"][6:9] == ["", "pending", "0"]


def test_csv_neutralises_formulas():
    doc = cohort(students=2)
    doc["students"][0]["last_name"] = '=HYPERLINK("http://evil.example","clic")'
    doc["students"][1]["first_name"] = "@SUM(1)"
    cohort_import(data=encode(doc), by=None)
    text = export("CS2600A", "2024-2025", "--format", "csv")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","clic")' in cells
    assert "'@SUM(1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Dupont", "Dupont"),
        ("12.50", "12.50"),
        (None, ""),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_output_file(demo, tmp_path):
    target = tmp_path / "resultats.json"
    export("CS2600A", "2024-2025", "--output", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["programme"] == "CS2600A"


def test_unknown_cohort_exits_with_status_2(demo):
    with pytest.raises(CommandError) as info:
        export("CS2600A", "2030-2031")
    assert info.value.returncode == 2
    assert "Aucune promotion CS2600A 2030-2031" in str(info.value)
