"""The registrar's jury table: one line per student, filtered and sorted from the query string.

Every line is built first (the page's queries do not depend on the filters), then filtered and
sorted here in Python: a cohort is a few dozen students.
"""

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from enrolment.rules import JuryDecision

from .documents import JuryRow
from .selectors import EnrolmentResult

NOT_DELIBERATED = "none"
CERTIFICATE_FILTERS = ("to_issue", "issued", "to_revoke")


@dataclass(frozen=True)
class CertificateCell:
    """What the jury table shows in a student's certificate column."""

    number: str | None  # the valid certificate, if any
    pk: int | None
    issuable: bool
    flagged: bool  # a valid certificate whose holder is no longer « admis » (RULES.md §7b)
    revoked: list[str]

    @property
    def bulk_target(self) -> bool:
        """Issued by the bulk run: a replacement after a revocation is issued one by one."""
        return self.issuable and not self.revoked


class JuryLine(NamedTuple):
    """A line of the table: the live row, the recorded decision's word, the certificate."""

    row: JuryRow
    decided: str  # the latest deliberation's decision, translated; "" before any
    cert: CertificateCell


@dataclass(frozen=True)
class JuryQuery:
    """What the registrar asked for: ``sort`` is a key, « -key » for descending."""

    q: str = ""
    decision: str = ""  # a JuryDecision value, NOT_DELIBERATED or "" (all)
    certificate: str = ""  # one of CERTIFICATE_FILTERS or "" (all)
    sort: str = ""

    @property
    def filtered(self) -> bool:
        return bool(self.q.strip() or self.decision or self.certificate)


@dataclass(frozen=True)
class SortHeader:
    key: str
    label: str
    href: str
    aria_sort: str  # "ascending", "descending" or "" (not sorted on this column)
    numeric: bool


@dataclass(frozen=True)
class JuryTable:
    lines: list[JuryLine]
    total: int
    headers: dict[str, SortHeader]  # by key: "name", "number", "ue:RSV206", "credits", …
    ue_headers: list[SortHeader]


def _fold(text: str) -> str:
    """« Lefèvre » and « LEFEVRE » compare equal: no accents, no case."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_keys(ue_codes: list[str]) -> list[str]:
    return ["name", "number", *(f"ue:{code}" for code in ue_codes), "credits", "absences"]


def _sort_value(
    key: str, results: Mapping[int, EnrolmentResult]
) -> Callable[[JuryLine], object | None]:
    if key == "name":
        return lambda line: _fold(line.row.name)
    if key == "number":
        return lambda line: line.row.number
    if key == "credits":
        return lambda line: line.row.credits
    if key == "absences":
        return lambda line: results[line.row.enrolment_id].result.absence.rate_display
    code = key.removeprefix("ue:")

    def average(line: JuryLine) -> Decimal | None:
        ues = results[line.row.enrolment_id].result.ues
        return next((ue.average for ue in ues if ue.ue == code), None)

    return average


def _matches(line: JuryLine, query: JuryQuery, decided: str) -> bool:
    words = _fold(query.q).split()
    haystack = f"{_fold(line.row.name)} {line.row.number.casefold()}"
    if any(word not in haystack for word in words):
        return False
    if query.decision == NOT_DELIBERATED:
        if decided:
            return False
    # Before any deliberation the column shows the proposal: filter on what is shown.
    elif query.decision and (decided or line.row.decision) != query.decision:
        return False
    cert = line.cert
    return not (
        (query.certificate == "to_issue" and not cert.issuable)
        or (query.certificate == "issued" and cert.number is None)
        or (query.certificate == "to_revoke" and not cert.flagged)
    )


def _href(params: Mapping[str, str], sort: str) -> str:
    kept = {k: params[k] for k in ("q", "decision", "certificate") if params.get(k)}
    return "?" + urlencode({**kept, "sort": sort})


def jury_table(
    lines: list[JuryLine],
    *,
    results: list[EnrolmentResult],
    decisions: Mapping[int, str],
    query: JuryQuery,
    params: Mapping[str, str],
    ue_codes: list[str],
) -> JuryTable:
    """Filter and sort ``lines``; a missing value (no average yet) sorts last either way.

    ``decisions``: each enrolment's recorded JuryDecision value ("" before the jury);
    ``params``: the query string, to keep the filters in the sort links.
    """
    by_id = {er.enrolment.pk: er for er in results}
    shown = [
        line for line in lines if _matches(line, query, decisions.get(line.row.enrolment_id, ""))
    ]
    descending = query.sort.startswith("-")
    key = query.sort.removeprefix("-") or "number"
    if key not in sort_keys(ue_codes):
        key, descending = "number", False
    value = _sort_value(key, by_id)
    present = [line for line in shown if value(line) is not None]
    missing = [line for line in shown if value(line) is None]
    present.sort(key=value, reverse=descending)  # type: ignore[arg-type]

    labels = {
        "name": _("Élève"),
        "number": _("N° d'élève"),
        "credits": _("Crédits"),
        "absences": _("Absences"),
    }
    headers: dict[str, SortHeader] = {}
    for k in sort_keys(ue_codes):
        current = k == key
        # A first click sorts names and numbers A→Z, figures from the highest.
        first_descending = k not in {"name", "number"}
        next_descending = not descending if current else first_descending
        headers[k] = SortHeader(
            key=k,
            label=labels.get(k, k.removeprefix("ue:")),
            href=_href(params, f"-{k}" if next_descending else k),
            aria_sort=("descending" if descending else "ascending") if current else "",
            numeric=k not in {"name", "number"},
        )
    return JuryTable(
        lines=present + missing,
        total=len(lines),
        headers=headers,
        ue_headers=[headers[f"ue:{code}"] for code in ue_codes],
    )


def decision_choices() -> list[tuple[str, str]]:
    """The decision filter: the four words of RULES.md §7b, then « not deliberated yet »."""
    return [(d.value, _(d.label)) for d in JuryDecision] + [
        (NOT_DELIBERATED, _("pas encore délibéré"))
    ]
