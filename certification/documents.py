"""Plain data for the jury page and the certification PDFs (attestation, certificate, PV).

Templates get dataclasses and strings, never querysets; figures are formatted here.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from attendance.rules import format_rate
from enrolment.models import Enrolment, ProgrammeYear
from enrolment.rules import format_euros
from grading.rules import UEStatus, format_grade

from .models import Certificate, Jury
from .rules import ReasonCode, attestation_available
from .selectors import EnrolmentResult, enrolment_result

UE_STATUS_LABELS = {
    UEStatus.VALIDATED.value: "validée",
    UEStatus.FAILED.value: "non validée",
    UEStatus.PENDING.value: "en attente",
}


def _money(value: Any) -> str:
    return f"{value:.2f}"


def result_snapshot(er: EnrolmentResult) -> dict[str, Any]:
    """One student's results as JSON-safe data; numbers are strings (INTERCHANGE.md)."""
    student = er.enrolment.student
    titles = {ue.code: ue.title for ue in er.ues}
    r = er.result
    return {
        "enrolment_id": er.enrolment.pk,
        "number": student.number,
        "last_name": student.last_name,
        "first_name": student.first_name,
        "ues": [
            {
                "code": ue.ue,
                "title": titles.get(ue.ue, ""),
                "average": None if ue.average is None else f"{ue.average:.2f}",
                "status": ue.status.value,
                "credits": ue.credits,
            }
            for ue in r.ues
        ],
        "credits": r.credits,
        "absence_rate": f"{r.absence.rate_display:.2f}",
        "defaillant": r.defaillant,
        "fees_paid": r.fees_paid,
        "balance": _money(r.balance),
        "eligible": r.eligible,
        "reasons": r.reason_codes,
        "messages": [reason.message for reason in r.reasons],
    }


def jury_snapshot(
    *, programme_year: ProgrammeYear, results: list[EnrolmentResult]
) -> dict[str, Any]:
    programme = programme_year.programme
    return {
        "programme": programme.code,
        "title": programme.title,
        "year": programme_year.year,
        "pass_mark": f"{programme_year.pass_mark:.2f}",
        "absence_threshold_pct": f"{programme_year.absence_threshold_pct:.2f}",
        "students": [result_snapshot(er) for er in results],
    }


@dataclass(frozen=True)
class UECell:
    code: str
    average: str
    status: str
    status_label: str
    credits: int


@dataclass(frozen=True)
class JuryRow:
    enrolment_id: int
    number: str
    name: str
    ues: list[UECell]
    credits: int
    absence_rate: str
    defaillant: bool
    defaillant_why: list[str]
    fees: str
    fees_paid: bool
    eligible: bool
    reasons: list[str]


def _defaillant_why(snapshot: dict[str, Any]) -> list[str]:
    codes = dict(zip(snapshot["reasons"], snapshot["messages"], strict=True))
    return [
        message
        for code, message in codes.items()
        if code.startswith((ReasonCode.DEFAILLANT_ABSENCE, ReasonCode.DEFAILLANT_MISSED))
    ]


def row_from_snapshot(s: dict[str, Any]) -> JuryRow:
    """A row of the jury table or the PV, from a live or a frozen snapshot alike."""
    balance = Decimal(s["balance"])
    return JuryRow(
        enrolment_id=s["enrolment_id"],
        number=s["number"],
        name=f"{s['last_name'].upper()} {s['first_name']}",
        ues=[
            UECell(
                code=ue["code"],
                average=format_grade(None if ue["average"] is None else Decimal(ue["average"])),
                status=ue["status"],
                status_label=UE_STATUS_LABELS.get(ue["status"], ue["status"]),
                credits=ue["credits"],
            )
            for ue in s["ues"]
        ],
        credits=s["credits"],
        absence_rate=format_rate(Decimal(s["absence_rate"])),
        defaillant=s["defaillant"],
        defaillant_why=_defaillant_why(s),
        fees=format_euros(balance) if balance > 0 else "soldés",
        fees_paid=s["fees_paid"],
        eligible=s["eligible"],
        reasons=list(s["messages"]),
    )


def jury_rows(results: list[EnrolmentResult]) -> list[JuryRow]:
    return [row_from_snapshot(result_snapshot(er)) for er in results]


def attestation_availability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """RULES.md §7: every UE validated, not défaillant, jury deliberated (fees do not block)."""
    er = enrolment_result(enrolment, published_only=True)
    deliberated = Jury.objects.filter(programme_year_id=enrolment.programme_year_id).exists()
    return attestation_available(result=er.result, jury_deliberated=deliberated)


def attestation_context(enrolment: Enrolment) -> dict[str, Any]:
    er = enrolment_result(enrolment, published_only=True)
    jury = Jury.objects.get(programme_year_id=enrolment.programme_year_id)
    py = enrolment.programme_year
    row = row_from_snapshot(result_snapshot(er))
    return {
        "student": enrolment.student,
        "programme": py.programme,
        "programme_year": py,
        "row": row,
        "jury": jury,
        "reference": f"Attestation de réussite · {py.programme.code} {py.year} · "
        f"{enrolment.student.number}",
    }


def certificate_context(certificate: Certificate, *, qr_svg: str) -> dict[str, Any]:
    s = certificate.snapshot
    return {
        "snap": s,
        "issued_on": certificate.issued_on,
        "qr_svg": qr_svg,
        "reference": f"Certificat n° {s['number']}",
    }


def jury_pv_context(jury: Jury) -> dict[str, Any]:
    s = jury.snapshot
    rows = [row_from_snapshot(student) for student in s.get("students", [])]
    members = [line.strip() for line in jury.members.splitlines() if line.strip()]
    return {
        "jury": jury,
        "snap": s,
        "rows": rows,
        "members": members,
        "eligible_count": sum(1 for r in rows if r.eligible),
        "reference": f"PV de jury · {s.get('programme', '')} {s.get('year', '')}",
    }
