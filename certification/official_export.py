"""The cohort's results and jury decisions for the institution's information system.

One row per enrolment, stable column codes in the manner of Apogée/Pégase: ``docs/exports.md``
is the reference of the layout (each column, its meaning, its format, its values).

No result is computed here: before any deliberation the rows are the live results of
``selectors.cohort_result_rows`` (the figures of the jury page), read through the same
snapshot form as a deliberation (``documents.row_snapshot``); after one, they are the frozen
snapshot of the latest deliberation (what its PV states). Fees play no part in the file.

Every text cell goes through ``lib.spreadsheet_safety.neutralise`` (SECURITY.md #11); in the
XLSX, grades, credits and rates are numbers, dates are dates, every other cell is text.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from enrolment.models import Enrolment, ProgrammeYear
from enrolment.rules import JuryDecision
from grading.models import Assessment
from grading.rules import UEStatus
from lib.spreadsheet_safety import XLSX_TYPE, neutralise, xlsx_bytes

from .documents import row_snapshot
from .models import Certificate, Jury
from .rules import ReasonCode
from .selectors import cohort_result_rows, latest_jury

__all__ = [
    "XLSX_TYPE",
    "OfficialExport",
    "as_csv",
    "as_xlsx",
    "official_export",
]

PROVISOIRE = "PROVISOIRE"
DEFINITIF = "DEFINITIF"

# The jury's decision as the information system spells it (docs/exports.md, DEC_JURY).
DECISION_CODES: Mapping[str, str] = {
    JuryDecision.ADMIS.value: "ADM",
    JuryDecision.EN_ATTENTE.value: "ATT",
    JuryDecision.AJOURNE.value: "AJ",
    JuryDecision.DEFAILLANT.value: "DEF",
}

# A UE's result (docs/exports.md, UEn_RES).
UE_ADMIS = "ADM"
UE_AJOURNE = "AJ"
UE_ABSENCE_INJUSTIFIEE = "ABI"
UE_EN_ATTENTE = "ATT"
# In UEn_NOTE when there is no average because a make-up is awaited after a justified absence.
NOTE_ABSENCE_JUSTIFIEE = "ABJ"

IDENTITY_COLUMNS = (
    "STATUT_EXPORT",
    "COD_ANU",
    "COD_DIP",
    "COD_ETU",
    "NOM",
    "PRENOM",
    "DATE_NAI",
)
UE_COLUMNS = ("COD", "NOTE", "RES", "ECTS")
TOTAL_COLUMNS = (
    "ECTS_ACQUIS",
    "ECTS_INSCRITS",
    "TAUX_ABS",
    "DEC_JURY",
    "DAT_JURY",
    "NUM_PV",
    "NUM_CERT",
)

# A cell: text, a number (Decimal for grades and rates, int for credits), a date, or empty.
Cell = str | Decimal | int | dt.date | None


def headers(n_ues: int) -> list[str]:
    """The column codes, in order: identity, then one block of four per UE, then totals."""
    blocks = [f"UE{k}_{name}" for k in range(1, n_ues + 1) for name in UE_COLUMNS]
    return [*IDENTITY_COLUMNS, *blocks, *TOTAL_COLUMNS]


@dataclass(frozen=True)
class OfficialExport:
    """The file's content: ``status`` PROVISOIRE or DEFINITIF, the UE codes of the blocks
    (UE1, UE2… in this order), the header and one row per enrolment by student number."""

    programme_code: str
    year: str
    status: str
    ue_codes: tuple[str, ...]
    header: list[str]
    rows: list[list[Cell]]

    @property
    def filename_stem(self) -> str:
        return f"export officiel {self.programme_code} {self.year} {self.status.lower()}"


def academic_year_code(year: str) -> str:
    """COD_ANU: the first calendar year of the academic year, « 2024 » for « 2024-2025 »."""
    return year[:4]


def _subjects(
    student: Mapping[str, Any], kind: ReasonCode, ue_of_key: Mapping[str, str]
) -> set[str]:
    """UE codes a reason of ``kind`` is about in this student's snapshot."""
    found = set()
    if "reason_data" in student:
        for data in student["reason_data"]:
            code, _sep, subject = data["code"].partition(":")
            if code == kind.value:
                found.add(data.get("ue") or ue_of_key.get(subject, ""))
    else:  # a snapshot frozen before reasons kept their UE: the key says it
        for code in student.get("reasons", []):
            head, _sep, subject = code.partition(":")
            if head == kind.value:
                found.add(ue_of_key.get(subject, ""))
    return found


def _ue_cells(ue: Mapping[str, Any], *, missed: bool, makeup: bool) -> list[Cell]:
    """UEn_COD, UEn_NOTE, UEn_RES, UEn_ECTS of one UE the student follows."""
    average = None if ue["average"] is None else Decimal(ue["average"])
    status = ue["status"]
    if status == UEStatus.VALIDATED.value:
        result = UE_ADMIS
    elif status == UEStatus.FAILED.value:
        result = UE_ABSENCE_INJUSTIFIEE if missed else UE_AJOURNE
    else:
        result = UE_EN_ATTENTE
    note: Cell = average
    if average is None and makeup:
        note = NOTE_ABSENCE_JUSTIFIEE
    return [ue["code"], note, result, int(ue["credits"])]


def _rows(
    *,
    students: Iterable[Mapping[str, Any]],
    ue_codes: Sequence[str],
    ue_credits: Mapping[str, int],
    ue_of_key: Mapping[str, str],
    birth_dates: Mapping[int, dt.date],
    certificates: Mapping[int, str],
    status: str,
    year: str,
    programme_code: str,
    jury: Jury | None,
) -> list[list[Cell]]:
    jury_day = timezone.localdate(jury.deliberated_at) if jury is not None else None
    out: list[list[Cell]] = []
    for s in sorted(students, key=lambda s: s["number"]):
        by_code = {ue["code"]: ue for ue in s["ues"]}
        missed = _subjects(s, ReasonCode.DEFAILLANT_MISSED, ue_of_key)
        makeup = _subjects(s, ReasonCode.MAKEUP_PENDING, ue_of_key)
        line: list[Cell] = [
            status,
            academic_year_code(year),
            programme_code,
            s["number"],
            s["last_name"].upper(),
            s["first_name"],
            birth_dates.get(s["enrolment_id"]),
        ]
        for code in ue_codes:
            ue = by_code.get(code)
            if ue is None:
                line += [None] * len(UE_COLUMNS)
            else:
                line += _ue_cells(ue, missed=code in missed, makeup=code in makeup)
        decision = s.get("decision") if jury is not None else None
        line += [
            int(s["credits"]),
            sum(ue_credits.get(code, 0) for code in by_code),
            Decimal(s["absence_rate"]),
            DECISION_CODES[decision] if decision else None,
            jury_day if decision else None,
            jury.sequence if jury is not None and decision else None,
            certificates.get(s["enrolment_id"]),
        ]
        out.append(line)
    return out


def official_export(programme_year: ProgrammeYear) -> OfficialExport:
    """The cohort's file: provisional (live results, decision columns empty) until the jury
    deliberates, then final (the latest deliberation's snapshot and decisions)."""
    py = programme_year
    jury = latest_jury(py.pk)
    students: list[Mapping[str, Any]]
    if jury is None:
        # Every mark, drafts included: the figures of the jury page and of export_results.
        students = [row_snapshot(row) for row in cohort_result_rows(py)]
        status = PROVISOIRE
    else:
        students = list(jury.snapshot.get("students", []))
        status = DEFINITIF
    ids = [s["enrolment_id"] for s in students]
    ues = list(py.ues.values_list("code", "credits"))
    ue_credits = dict(ues)
    ue_codes = tuple(
        sorted({code for code, _c in ues} | {ue["code"] for s in students for ue in s["ues"]})
    )
    # Only for snapshots frozen before reasons kept their UE (keys are unique per UE).
    ue_of_key = dict(
        Assessment.objects.filter(ue__programme_year=py).values_list("key", "ue__code")
    )
    birth_dates = dict(
        Enrolment.objects.filter(pk__in=ids).values_list("pk", "student__birth_date")
    )
    certificates = dict(
        Certificate.objects.filter(enrolment_id__in=ids, revoked_at__isnull=True).values_list(
            "enrolment_id", "number"
        )
    )
    return OfficialExport(
        programme_code=py.programme.code,
        year=py.year,
        status=status,
        ue_codes=ue_codes,
        header=headers(len(ue_codes)),
        rows=_rows(
            students=students,
            ue_codes=ue_codes,
            ue_credits=ue_credits,
            ue_of_key=ue_of_key,
            birth_dates=birth_dates,
            certificates=certificates,
            status=status,
            year=py.year,
            programme_code=py.programme.code,
            jury=jury,
        ),
    )


def csv_text(value: Cell) -> str:
    """A cell as the CSV writes it: « 12,50 » (two decimals, decimal comma), « 02/04/1990 »."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def as_csv(export: OfficialExport) -> bytes:
    """UTF-8 with BOM, « ; » between cells, CRLF; formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(export.header)
    for line in export.rows:
        writer.writerow([neutralise(csv_text(value)) for value in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(export: OfficialExport) -> bytes:
    """One sheet: numbers as numbers, dates as dates, every other cell a neutralised text cell
    (no formula anywhere)."""
    return xlsx_bytes(export.header, export.rows, title=f"{export.programme_code} {export.year}")
