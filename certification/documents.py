"""Plain data for the jury page and the certification PDFs (attestation, certificate, PV).

Templates get dataclasses and strings, never querysets; figures are formatted here.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext, gettext_noop

from attendance.rules import format_rate
from enrolment.models import Enrolment, ProgrammeYear
from enrolment.rules import JuryDecision, format_euros
from grading.rules import UEStatus, format_grade
from lib.formats import long_date

from .models import Certificate, Jury
from .reasons import reason_data, reason_from_data, reason_text, reason_texts
from .rules import ReasonCode, StudentResult, attestation_available, jury_decision
from .selectors import EnrolmentResult, ResultRow, enrolment_result, latest_jury

# French on the PV (a frozen legal record); marked so that pages can translate them.
# The reason the attestation de réussite's signature records (its download and the RGPD export).
ATTESTATION_SIGNATURE_REASON = "Attestation de réussite"

UE_STATUS_LABELS = {
    UEStatus.VALIDATED.value: gettext_noop("validée"),
    UEStatus.FAILED.value: gettext_noop("non validée"),
    UEStatus.PENDING.value: gettext_noop("en attente"),
}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def result_snapshot(er: EnrolmentResult) -> dict[str, Any]:
    """One student's results as JSON-safe data; numbers are strings (INTERCHANGE.md)."""
    student = er.enrolment.student
    return _snapshot(
        enrolment_id=er.enrolment.pk,
        number=student.number,
        last_name=student.last_name,
        first_name=student.first_name,
        titles={ue.code: ue.title for ue in er.ues},
        r=er.result,
    )


def row_snapshot(row: ResultRow) -> dict[str, Any]:
    """``result_snapshot`` of a row read in bulk (``selectors.cohort_result_rows``)."""
    return _snapshot(
        enrolment_id=row.enrolment_id,
        number=row.number,
        last_name=row.last_name,
        first_name=row.first_name,
        titles=row.ue_titles,
        r=row.result,
    )


def _snapshot(
    *,
    enrolment_id: int,
    number: str,
    last_name: str,
    first_name: str,
    titles: Mapping[str, str],
    r: StudentResult,
) -> dict[str, Any]:
    return {
        "enrolment_id": enrolment_id,
        "number": number,
        "last_name": last_name,
        "first_name": first_name,
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
        # Codes and figures, worded when read (in the reader's language).
        "reason_data": [reason_data(reason) for reason in r.reasons],
    }


def certificate_snapshot(
    *,
    enrolment: Enrolment,
    number: str,
    issued_on: dt.date,
    verification_url: str,
    jury: Jury,
    decided: dict[str, Any],
) -> dict[str, object]:
    """What a certificate freezes: holder, programme, the jury's results (``decided``, the
    student's entry of the deliberation's snapshot) and its own number and address."""
    py = enrolment.programme_year
    student = enrolment.student
    return {
        "number": number,
        "issued_on": issued_on.isoformat(),
        "verification_url": verification_url,
        "holder": {
            "number": student.number,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "birth_date": student.birth_date.isoformat(),
        },
        "programme": {
            "code": py.programme.code,
            "title": py.programme.title,
            "level": py.programme.level,
            "managing_unit": py.programme.managing_unit,
        },
        "year": py.year,
        "ues": decided["ues"],
        "credits": decided["credits"],
        "jury": {"sequence": jury.sequence, "deliberated_at": jury.deliberated_at.isoformat()},
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
    decision: str  # JuryDecision value; "" when not decided (live rows before a deliberation)
    decision_label: str


def _reasons(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, text) of a snapshot's reasons; snapshots frozen before the reasons became
    codes and figures kept French ``messages``, shown as they were."""
    if "reason_data" in snapshot:
        reasons = [reason_from_data(data) for data in snapshot["reason_data"]]
        return [(reason.code, reason_text(reason)) for reason in reasons]
    return list(zip(snapshot["reasons"], snapshot.get("messages", []), strict=True))


def _defaillant_why(snapshot: dict[str, Any]) -> list[str]:
    return [
        message
        for code, message in _reasons(snapshot)
        if code.startswith((ReasonCode.DEFAILLANT_ABSENCE, ReasonCode.DEFAILLANT_MISSED))
    ]


def row_from_snapshot(s: dict[str, Any]) -> JuryRow:
    """A row of the jury table or the PV, from a live or a frozen snapshot alike."""
    balance = Decimal(s["balance"])
    decision = s.get("decision") or ""
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
        reasons=[message for _code, message in _reasons(s)],
        decision=decision,
        decision_label=JuryDecision(decision).label if decision else "",
    )


def live_rows(results: list[ResultRow]) -> list[JuryRow]:
    """Live rows read in bulk: current marks, with the decision the jury would take on them
    now; what the jury page shows, a page at a time."""
    rows = []
    for row in results:
        snap = row_snapshot(row)
        snap["decision"] = jury_decision(row.result).value
        rows.append(row_from_snapshot(snap))
    return rows


def _decision(enrolment: Enrolment) -> JuryDecision | None:
    return JuryDecision(enrolment.jury_decision) if enrolment.jury_decision else None


def attestation_availability(enrolment: Enrolment) -> tuple[bool, list[str]]:
    """RULES.md §7: the latest jury decision is « admis » (fees do not block it)."""
    er = enrolment_result(enrolment, published_only=True)
    available, reasons = attestation_available(result=er.result, decision=_decision(enrolment))
    return available, reason_texts(reasons)


def attestation_context(enrolment: Enrolment) -> dict[str, Any]:
    """The attestation states what the latest deliberation decided (its frozen snapshot)."""
    jury = latest_jury(enrolment.programme_year_id)
    assert jury is not None  # attestation_availability said yes
    py = enrolment.programme_year
    student = next(s for s in jury.snapshot["students"] if s["enrolment_id"] == enrolment.pk)
    row = row_from_snapshot(student)
    return {
        "student": enrolment.student,
        "programme": py.programme,
        "programme_year": py,
        "row": row,
        "jury": jury,
        "reference": f"Attestation de réussite · {py.programme.code} {py.year} · "
        f"{enrolment.student.number} · PV n° {jury.sequence}",
    }


def certificate_context(certificate: Certificate, *, qr_png: str) -> dict[str, Any]:
    """``qr_png``: the verification QR code as a ``data:image/png`` URI (``qr.qr_png_data_uri``)."""
    s = certificate.snapshot
    return {
        "snap": s,
        "issued_on": certificate.issued_on,
        "qr_png": qr_png,
        "reference": f"Certificat n° {s['number']}",
    }


def jury_title(jury: Jury) -> str:
    """« PV n° 2 — rectificatif du 3 juillet 2025 » (the first one: « PV n° 1 du … »)."""
    values = {
        "n": jury.sequence,
        "day": long_date(jury.deliberated_at),
    }
    if jury.kind == Jury.Kind.FIRST:
        return gettext("PV n° %(n)s du %(day)s") % values
    if jury.kind == Jury.Kind.SECOND_SESSION:
        return gettext("PV n° %(n)s — seconde session du %(day)s") % values
    return gettext("PV n° %(n)s — rectificatif du %(day)s") % values


def jury_pv_context(jury: Jury) -> dict[str, Any]:
    s = jury.snapshot
    rows = [row_from_snapshot(student) for student in s.get("students", [])]
    members = [line.strip() for line in jury.members.splitlines() if line.strip()]
    counts = {d: sum(1 for r in rows if r.decision == d.value) for d in JuryDecision}
    return {
        "jury": jury,
        "title": jury_title(jury),
        "snap": s,
        "rows": rows,
        "members": members,
        "decision_counts": [(d.label, n) for d, n in counts.items()],
        "admis_count": counts[JuryDecision.ADMIS],
        "reference": f"PV de jury · {s.get('programme', '')} {s.get('year', '')} · "
        f"{jury_title(jury)}",
    }
