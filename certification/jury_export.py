"""The jury table as a spreadsheet (CSV or XLSX): every student the filters keep, all pages.

Every text cell goes through ``lib.spreadsheet_safety.neutralise`` (SECURITY.md #11); in the
XLSX, averages and credits are numbers and every other cell is a text cell.
"""

import csv
import io
from collections.abc import Iterator, Sequence

from django.utils.translation import gettext as _

from enrolment.rules import JuryDecision
from lib.spreadsheet_safety import neutralise, xlsx_bytes

from .documents import UE_STATUS_LABELS
from .jury_table import CertificateCell
from .reasons import reason_text
from .rules import jury_decision
from .selectors import ResultRow

Cell = str | int | float | None


def headers(ue_codes: Sequence[str]) -> list[str]:
    columns = [_("N° d'élève"), _("Nom"), _("Prénom")]
    for code in ue_codes:
        columns += [_("%(ue)s moyenne") % {"ue": code}, _("%(ue)s statut") % {"ue": code}]
    return [
        *columns,
        _("Crédits"),
        _("Taux d'absence (%)"),
        _("Défaillant"),
        _("Frais restant dus (€)"),
        _("Proposition (notes actuelles)"),
        _("Décision du jury"),
        _("Motifs"),
        _("Certificat"),
    ]


def rows(
    results: Sequence[ResultRow],
    *,
    ue_codes: Sequence[str],
    cells: dict[int, CertificateCell],
) -> Iterator[list[Cell]]:
    """One list per student: numbers as numbers (None when empty), the rest as text."""
    words: dict[str, str] = {}

    def word(text: str) -> str:
        if text not in words:
            words[text] = _(text)
        return words[text]

    yes, no = _("oui"), _("non")
    for item in results:
        r = item.result
        by_code = {ue.ue: ue for ue in r.ues}
        line: list[Cell] = [item.number, item.last_name, item.first_name]
        for code in ue_codes:
            ue = by_code.get(code)
            if ue is None:
                line += [None, ""]
            else:
                average = None if ue.average is None else float(ue.average)
                line += [average, word(UE_STATUS_LABELS[ue.status.value])]
        cert = cells[item.enrolment_id]
        recorded = item.jury_decision
        line += [
            r.credits,
            float(r.absence.rate_display),
            yes if r.defaillant else no,
            float(r.balance) if r.balance > 0 else 0.0,
            word(jury_decision(r).label),
            word(JuryDecision(recorded).label) if recorded else "",
            " | ".join(reason_text(reason) for reason in r.reasons),
            cert.number or "",
        ]
        yield line


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def as_csv(header: list[str], lines: Iterator[list[Cell]]) -> bytes:
    """UTF-8 with BOM and « ; » (what French Excel opens directly); formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for line in lines:
        writer.writerow([neutralise(_text(v)) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(header: list[str], lines: Iterator[list[Cell]], *, title: str) -> bytes:
    """Numbers as numbers, every other cell a neutralised text cell: no formula anywhere."""
    return xlsx_bytes(header, lines, title=title)
