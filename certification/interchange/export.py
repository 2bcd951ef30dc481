"""Results of a cohort in the interchange format (INTERCHANGE.md « Results »): JSON or CSV."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from certification.selectors import EnrolmentResult, ResultRow, cohort_result_rows
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


def student_line(item: EnrolmentResult | ResultRow) -> dict[str, Any]:
    """One student of the « Results » document."""
    result = item.result
    number = item.number if isinstance(item, ResultRow) else item.enrolment.student.number
    return {
        "number": number,
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


def _lines(programme_year: ProgrammeYear, *, now: datetime | None) -> Iterator[dict[str, Any]]:
    """INTERCHANGE.md: ``decision`` of the latest deliberation, once the jury has deliberated."""
    deliberated = programme_year.is_frozen
    for row in cohort_result_rows(programme_year, published_only=False, now=now):
        line = student_line(row)
        if deliberated:
            line["decision"] = row.jury_decision or None
        yield line


def results_document(
    programme_year: ProgrammeYear, *, now: datetime | None = None
) -> dict[str, Any]:
    """Every enrolment that is not withdrawn, by student number, whatever is published."""
    return {
        "programme": programme_year.programme.code,
        "year": programme_year.year,
        "students": list(_lines(programme_year, now=now)),
    }


def write_results_json(
    programme_year: ProgrammeYear, out: TextIO, *, now: datetime | None = None
) -> int:
    """``results_json`` written to ``out`` a student at a time (the same text); returns the
    number of students."""
    head = json.dumps(
        {"programme": programme_year.programme.code, "year": programme_year.year},
        ensure_ascii=False,
        indent=2,
    )
    out.write(head[:-2] + ',\n  "students": [')
    count = 0
    for line in _lines(programme_year, now=now):
        out.write(("\n    " if count == 0 else ",\n    ") + _indented(line, "\n    "))
        count += 1
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    return count


_quote = json.encoder.encode_basestring  # the C quoting json.dumps uses (ensure_ascii=False)


def _indented(value: Any, newline: str) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` with every line after the first
    starting with ``newline``: the same text, for the values of a results line (dicts,
    lists, strings, integers, booleans, None), without the pure-Python indenting encoder."""
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = newline + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{_quote(k)}: {_indented(v, inner)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join(_indented(v, inner) for v in value) + newline + "]"
    raise TypeError(f"not in a results line: {type(value).__name__}")


def results_json(programme_year: ProgrammeYear, *, now: datetime | None = None) -> str:
    buffer = io.StringIO()
    write_results_json(programme_year, buffer, now=now)
    return buffer.getvalue()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def write_results_csv(
    programme_year: ProgrammeYear, out: TextIO, *, now: datetime | None = None
) -> int:
    """``results_csv`` written to ``out`` a student at a time; returns the number of students."""
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
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    count = 0
    for item in cohort_result_rows(programme_year, published_only=False, now=now):
        line = student_line(item)
        by_code = {ue["code"]: ue for ue in line["ues"]}
        row = [line["number"], item.last_name, item.first_name]
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
            row.append(item.jury_decision)
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count


def results_csv(programme_year: ProgrammeYear, *, now: datetime | None = None) -> str:
    """``;``-separated rows, one per student; every cell neutralised (SECURITY.md #11).

    Starts with a byte-order mark so that spreadsheets read the file as UTF-8.
    """
    buffer = io.StringIO()
    write_results_csv(programme_year, buffer, now=now)
    return buffer.getvalue()
