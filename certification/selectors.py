"""Results of enrolments, read set-wise: a fixed number of queries for a whole cohort."""

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import ExpressionWrapper, F, Field, QuerySet
from django.utils import timezone

from attendance.models import Attendance, Session
from attendance.rules import SessionAttendance
from attendance.selectors import session_attendance
from certification.models import Jury
from certification.rules import StudentResult, UEInput, UEResultFunction, student_result
from enrolment.models import UE, Enrolment, Payment, ProgrammeYear
from grading.models import Assessment, Grade
from grading.rules import AssessmentInfo, GradeEntry, UEResult, ue_result
from grading.selectors import assessment_info, grade_entry


@dataclass(frozen=True)
class EnrolmentResult:
    enrolment: Enrolment
    ues: tuple[UE, ...]
    result: StudentResult


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One enrolment's result read as plain values (no model instance): the bulk path."""

    enrolment_id: int
    number: str
    last_name: str
    first_name: str
    jury_decision: str  # of the latest deliberation, "" before any
    fees_due: Decimal
    result: StudentResult
    ue_titles: Mapping[str, str]  # code → title of the cohort's UE (shared by every row)


class _Mark(NamedTuple):
    """What ``session_attendance`` reads of a roll line, read as a tuple."""

    presence: str
    minutes_missed: int
    justified: bool


class _Entry(NamedTuple):
    """What ``grade_entry`` reads of a grade, read as a tuple."""

    status: str
    value: Decimal | None


def _as_stored(name: str) -> ExpressionWrapper[F]:
    """Column ``name`` read as the database returns it, unconverted: see ``_reader``."""
    return ExpressionWrapper(F(name), output_field=Field())


def _reader(query: QuerySet[Any], name: str) -> Callable[[Any], Any]:
    """What reading column ``name`` of ``query`` applies to each stored value (the backend's
    converters, then the field's: what ``values_list`` would do), to apply once per distinct
    stored value instead of once per row (a Decimal per grade costs on SQLite)."""
    connection = connections[query.db]
    col = query.model._meta.get_field(name).get_col(query.model._meta.db_table)
    converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]

    def read(stored: Any) -> Any:
        for converter in converters:
            stored = converter(stored, col, connection)
        return stored

    return read


def _memoised_ue_result() -> UEResultFunction:
    """``ue_result`` remembered for one computation: students share the same inputs (same UE,
    same marks on a quarter-point grid, few statuses), and the rules are pure.

    The key is everything the result depends on. ``assessments`` and the entries by identity
    (one list per UE in ``_assessments``; one entry per status and value by ``_grade_rows``), kept
    alive with the cache so that no other object can take their ids: hashing every entry's
    Decimal cost more than the rules it saved."""
    cache: dict[tuple[str, int, int, frozenset[tuple[str, int]], Decimal], UEResult] = {}
    alive: list[object] = []

    def compute(
        *,
        ue: str,
        credits: int,
        assessments: Sequence[AssessmentInfo],
        entries: Mapping[str, GradeEntry],
        pass_mark: Decimal,
    ) -> UEResult:
        key = (
            ue,
            credits,
            id(assessments),
            frozenset(zip(entries, map(id, entries.values()), strict=True)),
            pass_mark,
        )
        result = cache.get(key)
        if result is None:
            alive.append((assessments, tuple(entries.values())))
            result = cache[key] = ue_result(
                ue=ue,
                credits=credits,
                assessments=assessments,
                entries=entries,
                pass_mark=pass_mark,
            )
        return result

    return compute


# Enrolments as (id, programme year id, fees due): a list, or a query of those tuples.
_Enrolments = Sequence[tuple[int, int, Decimal]]
# The enrolments' ids in SQL: a list, or a subquery (see ``_compute``).
_Ids = Sequence[int] | QuerySet[Any]
# What the rules read of a UE: its id, code, credits and assessments.
_UERead = tuple[int, str, int, list[AssessmentInfo]]


@dataclass(frozen=True, slots=True)
class _Facts:
    """What ``_compute`` reads of a cohort in its seven queries, keyed for its loop."""

    years: dict[int, tuple[Decimal, Decimal, bool]]  # pass mark, threshold, justified count
    ues: dict[int, UE]
    ues_of: dict[int, list[int]]  # enrolment → its UE ids
    infos_by_ue: dict[int, list[AssessmentInfo]]
    grade_rows: dict[int, list[tuple[int, str, Any]]]  # enrolment → (assessment, status, stored)
    entry_of: Callable[[str, Any], GradeEntry]  # status, stored value → entry (shared)
    assessments: dict[int, tuple[str, int]]  # assessment → its key and UE id
    sessions_by_ue: dict[int, list[Session]]
    unmarked: dict[int, list[SessionAttendance]]  # UE → its sessions without a roll line
    marks: dict[int, dict[int, _Mark]]  # enrolment → session → roll line (not present)
    payments: dict[int, list[Decimal]]


def _years(year_ids: set[int]) -> dict[int, tuple[Decimal, Decimal, bool]]:
    return {
        pk: (pass_mark, threshold, justified)
        for pk, pass_mark, threshold, justified in ProgrammeYear.objects.filter(
            pk__in=year_ids
        ).values_list("pk", "pass_mark", "absence_threshold_pct", "justified_absences_count")
    }


def _ues_of(ids: _Ids) -> dict[int, list[int]]:
    ues_of: dict[int, list[int]] = defaultdict(list)
    for enrolment_id, ue_id in Enrolment.ues.through.objects.filter(
        enrolment_id__in=ids
    ).values_list("enrolment_id", "ue_id"):
        ues_of[enrolment_id].append(ue_id)
    return ues_of


def _assessments(
    ues: dict[int, UE],
) -> tuple[dict[int, str], dict[int, int], dict[int, list[AssessmentInfo]]]:
    """Each assessment's key and UE id, and what the rules read of each UE's assessments."""
    assessments = list(Assessment.objects.filter(ue_id__in=ues.keys()))
    key_of = {a.pk: a.key for a in assessments}
    ue_of_assessment = {a.pk: a.ue_id for a in assessments}
    infos_by_ue: dict[int, list[AssessmentInfo]] = defaultdict(list)
    for a in assessments:
        infos_by_ue[a.ue_id].append(assessment_info(a, ue_code=ues[a.ue_id].code, keys=key_of))
    return key_of, ue_of_assessment, infos_by_ue


def _grade_rows(
    ids: _Ids, *, published_only: bool
) -> tuple[dict[int, list[tuple[int, str, Any]]], Callable[[str, Any], GradeEntry]]:
    """Each enrolment's grades as stored, (assessment, status, stored value): the key of
    ``_Remembered``, made into entries by ``_entries_of`` only where the rules run; and the
    function that makes an entry of a status and a stored value."""
    grades = Grade.objects.filter(enrolment_id__in=ids)
    if published_only:
        grades = grades.filter(published=True)
    rows: dict[int, list[tuple[int, str, Any]]] = defaultdict(list)
    for assessment_id, enrolment_id, status, stored in grades.values_list(
        "assessment_id", "enrolment_id", "status", _as_stored("value")
    ):
        rows[enrolment_id].append((assessment_id, status, stored))
    # Entries are immutable: one per (status, stored value), its value converted once.
    known: dict[tuple[str, Any], GradeEntry] = {}
    read_value = _reader(grades, "value")

    def entry_of(status: str, stored: Any) -> GradeEntry:
        entry = known.get((status, stored))
        if entry is None:
            entry = known[(status, stored)] = grade_entry(_Entry(status, read_value(stored)))
        return entry

    return rows, entry_of


def _entries_of(
    rows: Sequence[tuple[int, str, Any]], facts: "_Facts"
) -> dict[int, dict[str, GradeEntry]]:
    """One student's grade rows as the rules read them: UE id → assessment key → entry."""
    by_ue: dict[int, dict[str, GradeEntry]] = defaultdict(dict)
    assessments, entry_of = facts.assessments, facts.entry_of
    for assessment_id, status, stored in rows:
        key, ue_id = assessments[assessment_id]
        by_ue[ue_id][key] = entry_of(status, stored)
    return by_ue


def _sessions(
    ues: dict[int, UE], *, now: datetime
) -> tuple[dict[int, list[Session]], dict[int, list[SessionAttendance]]]:
    """Each UE's sessions, and how each reads for a student without a roll line."""
    sessions_by_ue: dict[int, list[Session]] = defaultdict(list)
    for s in Session.objects.filter(ue_id__in=ues.keys()).only(
        "ue_id", "kind", "start", "end", "cancelled"
    ):
        sessions_by_ue[s.ue_id].append(s)
    # A session without a roll line reads the same for every student: built once.
    unmarked = {
        ue_id: [session_attendance(s, None, now=now) for s in sessions]
        for ue_id, sessions in sessions_by_ue.items()
    }
    return sessions_by_ue, unmarked


def _marks(ids: _Ids) -> dict[int, dict[int, _Mark]]:
    marks: dict[int, dict[int, _Mark]] = defaultdict(dict)
    for enrolment_id, session_id, presence, minutes_missed, justified in (
        Attendance.objects.filter(enrolment_id__in=ids)
        .exclude(presence=Attendance.Presence.PRESENT)
        .values_list("enrolment_id", "session_id", "presence", "minutes_missed", "justified")
    ):
        marks[enrolment_id][session_id] = _Mark(presence, minutes_missed, justified)
    return marks


def _payments(ids: _Ids) -> dict[int, list[Decimal]]:
    payments: dict[int, list[Decimal]] = defaultdict(list)
    paid = Payment.objects.filter(enrolment_id__in=ids)
    read_amount = _reader(paid, "amount")
    amounts: dict[Any, Decimal] = {}  # stored value → Decimal, converted once
    for enrolment_id, stored in paid.values_list("enrolment_id", _as_stored("amount")):
        amount = amounts.get(stored)
        if amount is None:
            amount = amounts[stored] = read_amount(stored)
        payments[enrolment_id].append(amount)
    return payments


def _facts(enrolments: _Enrolments, ids: _Ids, *, published_only: bool, now: datetime) -> _Facts:
    """The seven queries of tuples (UE and assessments aside, a few per cohort)."""
    year_ids = {py_id for _pk, py_id, _fees in enrolments}
    years = _years(year_ids)
    ues = {ue.pk: ue for ue in UE.objects.filter(programme_year_id__in=year_ids)}
    ues_of = _ues_of(ids)
    key_of, ue_of_assessment, infos_by_ue = _assessments(ues)
    grade_rows, entry_of = _grade_rows(ids, published_only=published_only)
    sessions_by_ue, unmarked = _sessions(ues, now=now)
    return _Facts(
        years=years,
        ues=ues,
        ues_of=ues_of,
        infos_by_ue=infos_by_ue,
        grade_rows=grade_rows,
        entry_of=entry_of,
        assessments={pk: (key, ue_of_assessment[pk]) for pk, key in key_of.items()},
        sessions_by_ue=sessions_by_ue,
        unmarked=unmarked,
        marks=_marks(ids),
        payments=_payments(ids),
    )


def _shared(
    ue_set: tuple[int, ...], facts: _Facts
) -> tuple[list[UE], list[_UERead], list[SessionAttendance]]:
    """What students enrolled in the same UE share: the UE by code, what the rules read of
    each, and their sessions as a student without a roll line attended them."""
    ordered = sorted((facts.ues[u] for u in ue_set), key=lambda u: u.code)
    read = [(ue.pk, ue.code, ue.credits, facts.infos_by_ue[ue.pk]) for ue in ordered]
    blank = [attended for ue in ordered for attended in facts.unmarked.get(ue.pk, ())]
    return ordered, read, blank


def _attended(
    my_ues: list[UE], mine: dict[int, _Mark], facts: _Facts, *, now: datetime
) -> list[SessionAttendance]:
    """The sessions of a student with roll lines: theirs where marked, else the blank one."""
    sessions_by_ue, unmarked = facts.sessions_by_ue, facts.unmarked
    return [
        session_attendance(s, mine[s.pk], now=now) if s.pk in mine else blank
        for ue in my_ues
        for s, blank in zip(sessions_by_ue.get(ue.pk, ()), unmarked.get(ue.pk, ()), strict=True)
    ]


# What a student's result depends on besides the cohort's context (``_context``): their
# programme year, UE set, fees due, payments, grade rows and roll lines, as read.
_StudentKey = tuple[int, tuple[int, ...], Decimal, tuple[Decimal, ...], frozenset[Any], Any]


class _Remembered:
    """Results of the pure rules kept between requests, by their complete input.

    On the jury page a registrar filters and sorts the same cohort again and again: every view
    reads the facts anew (the same queries), and the rules rerun only for a student whose input
    differs from the last time. The key is everything ``student_result`` reads: the cohort's
    context (programme years, each UE's code, credits and assessments, each session as held at
    ``now``) and the student's own rows as stored (UE set, fees due, payments, grades, roll
    lines). Any edit changes a key, so a remembered result is never stale; a session ending
    changes the context, and the cohort is computed afresh once.

    At most ``limit`` results per process (about 2 KB each); the contexts used least recently
    are dropped first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._contexts: OrderedDict[Hashable, dict[_StudentKey, StudentResult]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, context: Hashable) -> dict[_StudentKey, StudentResult]:
        """The results remembered in ``context`` (a dict to read and fill)."""
        with self._lock:
            results = self._contexts.pop(context, {})
            self._contexts[context] = results  # now the most recently used
            total = sum(len(r) for r in self._contexts.values())
            while total > self.limit and len(self._contexts) > 1:
                _old, dropped = self._contexts.popitem(last=False)
                total -= len(dropped)
            if total > self.limit:
                results.clear()
            return results

    def clear(self) -> None:
        with self._lock:
            self._contexts.clear()


# Four cohorts of 2,000: about 16 MB per process.
REMEMBERED = _Remembered(limit=8000)


def _context(facts: _Facts) -> Hashable:
    """What every student of ``facts`` shares and the rules read (see ``_Remembered``)."""
    return (
        tuple(sorted(facts.years.items())),
        tuple(sorted(facts.assessments.items())),
        tuple(
            (
                pk,
                ue.code,
                ue.credits,
                tuple(facts.infos_by_ue.get(pk, ())),
                tuple(s.pk for s in facts.sessions_by_ue.get(pk, ())),
                tuple(facts.unmarked.get(pk, ())),
            )
            for pk, ue in sorted(facts.ues.items())
        ),
    )


def _student_key(
    pk: int, py_id: int, ue_set: tuple[int, ...], fees_due: Decimal, facts: _Facts
) -> _StudentKey:
    """Everything of one student that their result depends on, as read (``_Remembered``)."""
    mine = facts.marks.get(pk)
    return (
        py_id,
        ue_set,
        fees_due,
        tuple(facts.payments.get(pk, ())),
        frozenset(facts.grade_rows.get(pk, ())),
        frozenset(mine.items()) if mine else None,
    )


def _student_result(
    pk: int,
    py_id: int,
    fees_due: Decimal,
    shared: tuple[list[UE], list[_UERead], list[SessionAttendance]],
    facts: _Facts,
    *,
    now: datetime,
    compute_ue: UEResultFunction,
) -> StudentResult:
    """The pure rules for one student, on what ``_facts`` read."""
    my_ues, my_reads, attended = shared
    mine = facts.marks.get(pk)
    if mine is not None:
        attended = _attended(my_ues, mine, facts, now=now)
    entries = _entries_of(facts.grade_rows.get(pk, ()), facts)
    no_entries: dict[str, GradeEntry] = {}
    pass_mark, threshold, justified_count = facts.years[py_id]
    return student_result(
        ues=[
            UEInput(
                code=code,
                credits=credits,
                assessments=infos,
                entries=entries.get(ue_pk, no_entries),
            )
            for ue_pk, code, credits, infos in my_reads
        ],
        sessions=attended,
        fees_due=fees_due,
        payments=facts.payments.get(pk, ()),
        pass_mark=pass_mark,
        absence_threshold_pct=threshold,
        justified_absences_count=justified_count,
        compute_ue=compute_ue,
    )


def _results(
    enrolments: _Enrolments, facts: _Facts, *, now: datetime, remember: bool = False
) -> list[tuple[list[UE], StudentResult]]:
    """The pure rules once per enrolment, on what ``_facts`` read; with ``remember``, only
    for the students whose input changed since ``REMEMBERED`` last saw them."""
    remembered = REMEMBERED.of(_context(facts)) if remember else None
    compute_ue = _memoised_ue_result()
    # Students share their set of UE: its order, what the rules read of each UE and its
    # unmarked sessions are built once.
    by_set: dict[tuple[int, ...], tuple[list[UE], list[_UERead], list[SessionAttendance]]] = {}
    out = []
    for pk, py_id, fees_due in enrolments:
        ue_set = tuple(facts.ues_of.get(pk, ()))
        shared = by_set.get(ue_set)
        if shared is None:
            shared = by_set[ue_set] = _shared(ue_set, facts)
        if remembered is None:
            result = _student_result(
                pk, py_id, fees_due, shared, facts, now=now, compute_ue=compute_ue
            )
        else:
            key = _student_key(pk, py_id, ue_set, fees_due, facts)
            result = remembered.get(key) or _student_result(
                pk, py_id, fees_due, shared, facts, now=now, compute_ue=compute_ue
            )
            remembered[key] = result
        out.append((shared[0], result))
    return out


def _compute(
    enrolments: _Enrolments,
    ids: _Ids,
    *,
    published_only: bool,
    now: datetime,
    remember: bool = False,
) -> tuple[list[tuple[list[UE], StudentResult]], dict[int, UE]]:
    """The one set-based path: seven queries of tuples (UE and assessments aside, a few per
    cohort), then the pure rules once per enrolment (``remember``: see ``_Remembered``).
    ``ids`` selects the same enrolments in SQL (a list, or a subquery so that a cohort of any
    size stays one statement)."""
    facts = _facts(enrolments, ids, published_only=published_only, now=now)
    return _results(enrolments, facts, now=now, remember=remember), facts.ues


def results_for(
    enrolments: Sequence[Enrolment],
    *,
    published_only: bool = False,
    now: datetime | None = None,
) -> list[EnrolmentResult]:
    """Compute every result of these enrolments (all of one programme year or not).

    ``published_only`` hides draft grades, as a student sees them. Eight queries in all.
    """
    if not enrolments:
        return []
    computed, _ues = _compute(
        [(e.pk, e.programme_year_id, e.fees_due) for e in enrolments],
        [e.pk for e in enrolments],
        published_only=published_only,
        now=now or timezone.now(),
    )
    return [
        EnrolmentResult(enrolment=enrolment, ues=tuple(my_ues), result=result)
        for enrolment, (my_ues, result) in zip(enrolments, computed, strict=True)
    ]


def cohort_enrolments(programme_year: ProgrammeYear | int) -> QuerySet[Enrolment]:
    """Every enrolment of the cohort that is not withdrawn, by student number."""
    return (
        Enrolment.objects.filter(programme_year=programme_year)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("student", "student__user", "programme_year__programme")
        .order_by("student__number")
    )


def cohort_results(
    programme_year: ProgrammeYear,
    *,
    published_only: bool = False,
    now: datetime | None = None,
) -> list[EnrolmentResult]:
    """Results of the whole cohort (what ``export_results`` and the jury show)."""
    return results_for(
        list(cohort_enrolments(programme_year)), published_only=published_only, now=now
    )


def cohort_result_rows(
    programme_year: ProgrammeYear | int,
    *,
    published_only: bool = False,
    now: datetime | None = None,
    enrolment_ids: Sequence[int] | None = None,
    remember: bool = False,
) -> list[ResultRow]:
    """``cohort_results`` as plain rows, by student number: the same figures (the same
    ``_compute``) without a model instance per student. What the jury page, its downloads,
    ``export_results`` and bulk issuance read. Nine queries whatever the cohort's size.

    ``enrolment_ids``: only these enrolments of the cohort (a page of the jury table).
    ``remember``: rerun the rules only for the students whose input changed since the last
    remembering call (``_Remembered``): the jury page, where one cohort is viewed again and
    again. What the jury records and what a document freezes is always computed afresh.
    """
    query = cohort_enrolments(programme_year).select_related(None)
    if enrolment_ids is not None:
        query = query.filter(pk__in=enrolment_ids)
    values = list(
        query.values_list(
            "pk",
            "programme_year_id",
            "fees_due",
            "student__number",
            "student__last_name",
            "student__first_name",
            "jury_decision",
        )
    )
    if not values:
        return []
    computed, ues = _compute(
        [(pk, py_id, fees) for pk, py_id, fees, *_rest in values],
        query.values("pk"),
        published_only=published_only,
        now=now or timezone.now(),
        remember=remember,
    )
    titles = {ue.code: ue.title for ue in ues.values()}
    return [
        ResultRow(
            enrolment_id=pk,
            number=number,
            last_name=last_name,
            first_name=first_name,
            jury_decision=decision,
            fees_due=fees,
            result=result,
            ue_titles=titles,
        )
        for (pk, _py, fees, number, last_name, first_name, decision), (_ues, result) in zip(
            values, computed, strict=True
        )
    ]


def enrolment_result(
    enrolment: Enrolment, *, published_only: bool, now: datetime | None = None
) -> EnrolmentResult:
    return results_for([enrolment], published_only=published_only, now=now)[0]


def latest_jury(programme_year_id: int) -> Jury | None:
    """The deliberation in force: the latest one (RULES.md §7b)."""
    return Jury.objects.filter(programme_year_id=programme_year_id).order_by("-sequence").first()
