"""The registrar's jury table: one line per student, filtered, sorted and paginated server-side
from the query string.

A cohort can hold thousands of students. Every student is first known by cheap values (name,
number, recorded decision, UE, fees, certificate); results (the rules, the costly part) are
computed for the whole cohort only when a filter or a sort reads them (a live decision, a
reason, an average, the credits, the absence rate), else for the displayed page only. The
queries are the same either way: their number does not depend on the filters nor on the size.
"""

import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from enrolment.rules import JuryDecision

from .documents import JuryRow
from .rules import ReasonCode, jury_decision
from .selectors import ResultRow

NOT_DELIBERATED = "none"
CERTIFICATE_FILTERS = ("to_issue", "issued", "to_revoke")
PER_PAGE = 100
# The parameters a sort link keeps; a page link keeps the sort too.
FILTER_PARAMS = ("q", "decision", "certificate", "reason", "ue")
# Reasons a student can be filtered by (the kinds of a StudentResult's reasons).
REASON_FILTERS = (
    ReasonCode.UE_FAILED,
    ReasonCode.UE_PENDING,
    ReasonCode.MAKEUP_PENDING,
    ReasonCode.DEFAILLANT_MISSED,
    ReasonCode.DEFAILLANT_ABSENCE,
    ReasonCode.FEES_UNPAID,
)


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


@dataclass(frozen=True, slots=True)
class Student:
    """A student of the table before any result is computed: what every filter but the live
    decision and the reasons reads."""

    enrolment_id: int
    number: str
    name: str  # « LEFÈVRE Hugo », as the table shows it
    recorded: str  # the latest deliberation's JuryDecision value, "" before any
    fees_paid: bool  # the rule behind the results' « fees_paid » and « fees_unpaid »
    cert: CertificateCell


@dataclass(frozen=True)
class JuryQuery:
    """What the registrar asked for: ``sort`` is a key, « -key » for descending."""

    q: str = ""
    decision: str = ""  # a JuryDecision value, NOT_DELIBERATED or "" (all)
    certificate: str = ""  # one of CERTIFICATE_FILTERS or "" (all)
    reason: str = ""  # one of REASON_FILTERS or "" (all)
    ue: str = ""  # a UE code of the cohort or "" (all)
    sort: str = ""
    page: str = ""

    @property
    def filtered(self) -> bool:
        return bool(self.q.strip() or self.decision or self.certificate or self.reason or self.ue)


@dataclass(frozen=True)
class SortHeader:
    key: str
    label: str
    href: str
    aria_sort: str  # "ascending", "descending" or "" (not sorted on this column)
    numeric: bool


@dataclass(frozen=True)
class PageLink:
    number: int
    href: str
    current: bool


@dataclass(frozen=True)
class JuryTable:
    students: list[Student]  # every student shown, filtered and sorted (all pages)
    page: Page[Student]  # of ``students``
    total: int  # the whole cohort
    headers: dict[str, SortHeader]  # by key: "name", "number", "ue:RSV206", "credits", …
    ue_headers: list[SortHeader]
    pages: list[PageLink | None]  # the pager: None stands for a gap (« … »)
    previous_href: str
    next_href: str

    @property
    def shown(self) -> int:
        return len(self.students)


def _fold(text: str) -> str:
    """« Lefèvre » and « LEFEVRE » compare equal: no accents, no case."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_keys(ue_codes: list[str]) -> list[str]:
    return ["name", "number", *(f"ue:{code}" for code in ue_codes), "credits", "absences"]


def sort_key(query: JuryQuery, ue_codes: list[str]) -> tuple[str, bool]:
    """(key, descending); an unknown key sorts by number."""
    descending = query.sort.startswith("-")
    key = query.sort.removeprefix("-") or "number"
    if key not in sort_keys(ue_codes):
        return "number", False
    return key, descending


def needs_results(query: JuryQuery, students: list[Student], ue_codes: list[str]) -> bool:
    """Whether filtering or sorting reads computed results (else only the page needs them)."""
    key, _descending = sort_key(query, ue_codes)
    # Unpaid fees are known without the results (the same rule, RULES.md §3).
    if query.reason not in {"", ReasonCode.FEES_UNPAID} or key not in {"name", "number"}:
        return True
    # Before a student's first deliberation the decision filter reads the live proposal.
    return query.decision not in {"", NOT_DELIBERATED} and any(not s.recorded for s in students)


def _sort_value(key: str, results: Mapping[int, ResultRow]) -> Callable[[Student], object | None]:
    if key == "name":
        return lambda s: _fold(s.name)
    if key == "number":
        return lambda s: s.number
    if key == "credits":
        return lambda s: results[s.enrolment_id].result.credits
    if key == "absences":
        return lambda s: results[s.enrolment_id].result.absence.rate_display
    code = key.removeprefix("ue:")

    def average(s: Student) -> Decimal | None:
        ues = results[s.enrolment_id].result.ues
        return next((ue.average for ue in ues if ue.ue == code), None)

    return average


def _words_match(s: Student, words: list[str]) -> bool:
    """Every word of the name search (folded once, by ``jury_table``) in the name or number;
    no search, no folding: the table's first view folds none of its 2,000 names."""
    if not words:
        return True
    haystack = f"{_fold(s.name)} {s.number.casefold()}"
    return all(word in haystack for word in words)


def _decision_matches(s: Student, query: JuryQuery, results: Mapping[int, ResultRow]) -> bool:
    if query.decision == NOT_DELIBERATED:
        return not s.recorded
    if not query.decision:
        return True
    # Before any deliberation the column shows the proposal: filter on what is shown.
    return (s.recorded or jury_decision(results[s.enrolment_id].result).value) == query.decision


def _reason_matches(s: Student, query: JuryQuery, results: Mapping[int, ResultRow]) -> bool:
    if query.reason == ReasonCode.FEES_UNPAID:
        return not s.fees_paid
    # With a UE chosen, a reason about a UE must be about that one.
    if not query.reason:
        return True
    return any(
        r.kind == query.reason and (not query.ue or not r.ue or r.ue == query.ue)
        for r in results[s.enrolment_id].result.reasons
    )


def _certificate_matches(s: Student, query: JuryQuery) -> bool:
    cert = s.cert
    return not (
        (query.certificate == "to_issue" and not cert.issuable)
        or (query.certificate == "issued" and cert.number is None)
        or (query.certificate == "to_revoke" and not cert.flagged)
    )


def _matches(
    s: Student,
    query: JuryQuery,
    words: list[str],
    results: Mapping[int, ResultRow],
    in_ue: Collection[int],
) -> bool:
    return (
        _words_match(s, words)
        and (not query.ue or s.enrolment_id in in_ue)
        and _decision_matches(s, query, results)
        and _reason_matches(s, query, results)
        and _certificate_matches(s, query)
    )


def _href(params: Mapping[str, str], **extra: str) -> str:
    kept = {k: params[k] for k in FILTER_PARAMS if params.get(k)}
    return "?" + urlencode({**kept, **{k: v for k, v in extra.items() if v}})


def _pager(page: Page[Student], params: Mapping[str, str], sort: str) -> list[PageLink | None]:
    """First, last, and two pages either side of the current one; gaps as None."""
    last = page.paginator.num_pages
    wanted = {1, last, *range(page.number - 2, page.number + 3)}
    links: list[PageLink | None] = []
    previous = 0
    for n in sorted(n for n in wanted if 1 <= n <= last):
        if n > previous + 1:
            links.append(None)
        links.append(PageLink(n, _href(params, sort=sort, page=str(n)), n == page.number))
        previous = n
    return links


def jury_table(
    students: list[Student],
    *,
    results: Mapping[int, ResultRow],
    query: JuryQuery,
    params: Mapping[str, str],
    ue_codes: list[str],
    in_ue: Collection[int] = (),
    per_page: int = PER_PAGE,
) -> JuryTable:
    """Filter, sort and paginate ``students``; a missing value (no average yet) sorts last
    either way. ``results``: by enrolment id, every student's when ``needs_results`` says so
    (else none is read); ``params``: the query string, to keep the filters in the links;
    ``in_ue``: the enrolments following the UE of the UE filter.
    """
    words = _fold(query.q).split()
    shown = [s for s in students if _matches(s, query, words, results, in_ue)]
    key, descending = sort_key(query, ue_codes)
    value = _sort_value(key, results)
    present = [s for s in shown if value(s) is not None]
    missing = [s for s in shown if value(s) is None]
    present.sort(key=value, reverse=descending)  # type: ignore[arg-type]
    ordered = present + missing

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
            href=_href(params, sort=f"-{k}" if next_descending else k),
            aria_sort=("descending" if descending else "ascending") if current else "",
            numeric=k not in {"name", "number"},
        )
    page = Paginator(ordered, per_page).get_page(query.page or 1)
    sort = query.sort if query.sort and (key, descending) != ("number", False) else ""
    return JuryTable(
        students=ordered,
        page=page,
        total=len(students),
        headers=headers,
        ue_headers=[headers[f"ue:{code}"] for code in ue_codes],
        pages=_pager(page, params, sort),
        previous_href=_href(params, sort=sort, page=str(page.number - 1))
        if page.has_previous()
        else "",
        next_href=_href(params, sort=sort, page=str(page.number + 1)) if page.has_next() else "",
    )


def decision_choices() -> list[tuple[str, str]]:
    """The decision filter: the four words of RULES.md §7b, then « not deliberated yet »."""
    return [(d.value, _(d.label)) for d in JuryDecision] + [
        (NOT_DELIBERATED, _("pas encore délibéré"))
    ]


def reason_choices() -> list[tuple[str, str]]:
    """The reason filter, worded for people."""
    words = {
        ReasonCode.UE_FAILED: _("UE non validée"),
        ReasonCode.UE_PENDING: _("UE en attente"),
        ReasonCode.MAKEUP_PENDING: _("rattrapage attendu"),
        ReasonCode.DEFAILLANT_MISSED: _("absent·e à une évaluation"),
        ReasonCode.DEFAILLANT_ABSENCE: _("taux d'absence trop élevé"),
        ReasonCode.FEES_UNPAID: _("frais non soldés"),
    }
    return [(code.value, words[code]) for code in REASON_FILTERS]


@dataclass(frozen=True, slots=True)
class CellView:
    average: str
    status: str
    label: str  # translated


@dataclass(frozen=True, slots=True)
class LineView:
    """A displayed line, its words translated once per page rather than once per cell."""

    row: JuryRow
    decided: str
    cert: CertificateCell
    cells: list[CellView | None]  # one per UE column
    now_label: str


def line_views(lines: list[JuryLine], ue_codes: list[str]) -> list[LineView]:
    statuses: dict[str, str] = {}
    decisions: dict[str, str] = {}
    views = []
    for line in lines:
        row = line.row
        by_code = {}
        for cell in row.ues:
            label = statuses.get(cell.status_label)
            if label is None:
                label = statuses[cell.status_label] = _(cell.status_label)
            by_code[cell.code] = CellView(cell.average, cell.status, label)
        now = decisions.get(row.decision_label)
        if now is None:
            now = decisions[row.decision_label] = _(row.decision_label) if row.decision else ""
        views.append(
            LineView(
                row=row,
                decided=line.decided,
                cert=line.cert,
                cells=[by_code.get(code) for code in ue_codes],
                now_label=now,
            )
        )
    return views
