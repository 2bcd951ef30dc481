"""Small cohort files for the interchange tests (INTERCHANGE.md format)."""

import copy
import json
from typing import Any

from django.apps import apps


def student(n: int, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": f"24{n:05d}",
        "last_name": f"Nom{n}",
        "first_name": "Alex",
        "birth_date": "1990-04-02",
        "email": f"eleve{n}@example.org",
        "fees_due": "1200.00",
        "payments": [{"date": "2024-09-30", "amount": "1200.00"}],
        "ues": ["RSV206", "RSV207"],
        "grades": [
            {"assessment": "RSV206-CC", "status": "graded", "value": "12.5"},
            {"assessment": "RSV206-CT", "status": "graded", "value": "14"},
            {"assessment": "RSV207-CT", "status": "graded", "value": "10.00"},
        ],
        "attendance": [
            {"session": "S01", "status": "late", "minutes_missed": 30},
            {"session": "S02", "status": "absent", "justified": False},
        ],
    }
    data.update(extra)
    return data


def cohort(students: int = 3, *, year: str = "2024-2025", code: str = "CS2600A") -> dict[str, Any]:
    return {
        "programme": {
            "code": code,
            "title": "Certificat de spécialisation Innovations sociales – ESS",
            "year": year,
            "pass_mark": "10",
            "absence_threshold_pct": "20",
            "justified_absences_count": True,
            "ues": [
                {"code": "RSV206", "title": "Innovations sociales", "credits": 8},
                {"code": "RSV207", "title": "Entrepreneuriat social", "credits": 4},
            ],
        },
        "assessments": [
            {"key": "RSV206-CC", "ue": "RSV206", "kind": "cc", "weight": "1", "date": "2025-01-15"},
            {"key": "RSV206-CT", "ue": "RSV206", "kind": "ct", "weight": "2", "date": "2025-05-20"},
            {
                "key": "RSV206-CT-R",
                "ue": "RSV206",
                "kind": "ct",
                "weight": "2",
                "date": "2025-06-24",
                "makeup_of": "RSV206-CT",
            },
            {"key": "RSV207-CT", "ue": "RSV207", "kind": "ct", "weight": "1", "date": "2025-06-07"},
        ],
        "sessions": [
            {
                "key": "S01",
                "ue": "RSV206",
                "kind": "cours",
                "start": "2024-10-07T09:00:00+02:00",
                "end": "2024-10-07T13:00:00+02:00",
                "site": "conte",
                "room": "31.1.12",
                "cancelled": False,
            },
            {
                "key": "S02",
                "ue": "RSV207",
                "kind": "cours",
                "start": "2024-10-12T10:00:00+02:00",
                "end": "2024-10-12T12:00:00+02:00",
                "site": "saint-martin",
                "room": "21.2.32",
            },
            {
                "key": "S03",
                "ue": "RSV206",
                "kind": "examen",
                "start": "2025-05-20T09:00:00+02:00",
                "end": "2025-05-20T12:00:00+02:00",
                "site": "conte",
                "room": "35.2.14",
            },
        ],
        "students": [student(n) for n in range(1, students + 1)],
    }


def encode(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def clone(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)


def row_counts() -> dict[str, int]:
    """Rows of every model: a refused import must leave every one unchanged."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}
