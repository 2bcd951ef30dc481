"""Results of a cohort in the interchange format (INTERCHANGE.md « Results »): JSON or CSV."""

import csv
import io
import json
from datetime import datetime
from typing import Any

from certification.selectors import EnrolmentResult, cohort_results
from enrolment.models import UE, ProgrammeYear
from lib.spreadsheet_safety import neutralise


class UnknownCohortError(LookupError):
    """No programme year with this code and year; ``message`` is French."""

    def __init__(self, code: str, year: str) -> None:
        self.message = f"Aucune promotion {code} {year} : vérifiez le code et l'année (2024-2025)."
        super().__init__(self.message)


def find_programme_year(code: str, year: str) -> ProgrammeYear:
    py = (
        ProgrammeYear.objects.select_related("programme")
        .filter(programme__code=code, year=year)
        .first()
    )
    if py is None:
        raise UnknownCohortError(code, year)
    return py


def _two(value: Any) -> str:
    return f"{value:.2f}"


def student_line(item: EnrolmentResult) -> dict[str, Any]:
    """One student of the « Results » document."""
    result = item.result
    return {
        "number": item.enrolment.student.number,
        "ues": [
            {
                "code": ue.ue,
                "average": _two(ue.average) if ue.average is not None else None,
                "status": str(ue.status),
                "credits": ue.credits,  # the UE's credits when validated, else 0
            }
            for ue in result.ues
        ],
        "credits": result.credits,
        "absence_rate": _two(result.absence.rate_display),
        "defaillant": result.defaillant,
        "fees_paid": result.fees_paid,
        "eligible": result.eligible,
        "reasons": sorted(result.reason_codes),
    }


def _with_decision(line: dict[str, Any], item: EnrolmentResult) -> dict[str, Any]:
    """INTERCHANGE.md: ``decision`` of the latest deliberation, once the jury has deliberated."""
    return {**line, "decision": item.enrolment.jury_decision or None}


def results_document(
    programme_year: ProgrammeYear, *, now: datetime | None = None
) -> dict[str, Any]:
    """Every enrolment that is not withdrawn, by student number, whatever is published."""
    deliberated = programme_year.is_frozen
    students = []
    for item in cohort_results(programme_year, published_only=False, now=now):
        line = student_line(item)
        students.append(_with_decision(line, item) if deliberated else line)
    return {
        "programme": programme_year.programme.code,
        "year": programme_year.year,
        "students": students,
    }


def results_json(programme_year: ProgrammeYear, *, now: datetime | None = None) -> str:
    return (
        json.dumps(results_document(programme_year, now=now), ensure_ascii=False, indent=2) + "\n"
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"


def results_csv(programme_year: ProgrammeYear, *, now: datetime | None = None) -> str:
    """``;``-separated rows, one per student; every cell neutralised (SECURITY.md #11).

    Starts with a byte-order mark so that spreadsheets read the file as UTF-8.
    """
    codes = list(
        UE.objects.filter(programme_year=programme_year)
        .order_by("code")
        .values_list("code", flat=True)
    )
    header = ["number", "last_name", "first_name"]
    for code in codes:
        header += [f"{code}_average", f"{code}_status", f"{code}_credits"]
    header += ["credits", "absence_rate", "defaillant", "fees_paid", "eligible", "reasons"]
    deliberated = programme_year.is_frozen
    if deliberated:
        header.append("decision")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for item in cohort_results(programme_year, published_only=False, now=now):
        line = student_line(item)
        student = item.enrolment.student
        by_code = {ue["code"]: ue for ue in line["ues"]}
        row = [line["number"], student.last_name, student.first_name]
        for code in codes:
            ue = by_code.get(code)
            if ue is None:
                row += ["", "", ""]
            else:
                row += [ue["average"] or "", ue["status"], str(ue["credits"])]
        row += [
            str(line["credits"]),
            line["absence_rate"],
            _flag(line["defaillant"]),
            _flag(line["fees_paid"]),
            _flag(line["eligible"]),
            "|".join(line["reasons"]),
        ]
        if deliberated:
            row.append(item.enrolment.jury_decision)
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()
