"""« Mes UE »: what a teacher has left to do, per UE — grades to enter and publish (grading)
beside rolls to take (attendance). It reads both peers, hence the top app."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from attendance.models import Attendance, Session
from attendance.selectors import staff_sessions
from enrolment.models import UE, Enrolment, User
from grading.models import Assessment, Grade
from grading.selectors import staff_ues

UPCOMING_SHOWN = 3  # next sessions listed per UE; the sessions page has the rest


@dataclass(frozen=True)
class AssessmentTodo:
    """One assessment's figures: ``expected`` counts the students it concerns (for a make-up,
    only those entitled to it); the other counts are of these students' grades only."""

    assessment: Assessment
    expected: int
    entered: int
    drafts: int
    locked: bool
    passed: bool  # its date is before today

    @property
    def state(self) -> str:
        """locked, to_publish, published, to_enter (date passed, nothing entered), upcoming."""
        if self.locked:
            return "locked"
        if self.drafts:
            return "to_publish"
        if self.entered:
            return "published"
        return "to_enter" if self.passed else "upcoming"

    @property
    def missing(self) -> int:
        """Students it concerns still without an entry."""
        return max(self.expected - self.entered, 0)

    @property
    def incomplete(self) -> bool:
        """Its date has passed and some student it concerns still has no entry."""
        return self.passed and not self.locked and self.entered < self.expected


@dataclass(frozen=True)
class SessionTodo:
    session: Session
    roll_taken: bool


@dataclass(frozen=True)
class UETodo:
    ue: UE
    frozen: bool  # the jury has deliberated: nothing left to do, everything locked
    assessments: list[AssessmentTodo]
    rolls_to_take: list[SessionTodo] = field(default_factory=list)
    rolls_taken: list[SessionTodo] = field(default_factory=list)
    upcoming: list[Session] = field(default_factory=list)  # the next UPCOMING_SHOWN
    more_upcoming: int = 0  # upcoming sessions not listed

    @property
    def to_publish(self) -> int:
        return sum(1 for a in self.assessments if a.state == "to_publish")

    @property
    def to_enter(self) -> int:
        return sum(1 for a in self.assessments if a.incomplete)


@dataclass(frozen=True)
class StaffBoard:
    current: list[UETodo]  # cohorts before their jury, the year's work
    past: list[UETodo]  # deliberated cohorts, latest year first

    @property
    def to_publish(self) -> int:
        return sum(u.to_publish for u in self.current)

    @property
    def to_enter(self) -> int:
        return sum(u.to_enter for u in self.current)

    @property
    def rolls_to_take(self) -> int:
        return sum(len(u.rolls_to_take) for u in self.current)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.to_publish or self.to_enter or self.rolls_to_take)


def _assessment_todos(ues: list[UE], today: dt.date) -> dict[int, list[AssessmentTodo]]:
    """Per UE id, its assessments with their counts: three queries whatever the numbers of
    UE, assessments and students."""
    ue_ids = [ue.pk for ue in ues]
    following: dict[int, set[int]] = defaultdict(set)  # UE id → enrolments (not withdrawn)
    for ue_id, enrolment_id in (
        Enrolment.ues.through.objects.filter(ue_id__in=ue_ids)
        .exclude(enrolment__status=Enrolment.Status.WITHDRAWN)
        .values_list("ue_id", "enrolment_id")
    ):
        following[ue_id].add(enrolment_id)
    assessments = list(
        Assessment.objects.filter(ue_id__in=ue_ids)
        .order_by("date", "key")
        .select_related("makeup_of")
    )
    grades: dict[int, list[tuple[int, str, bool, bool]]] = defaultdict(list)
    for assessment_id, enrolment_id, status, published, locked in Grade.objects.filter(
        assessment__ue_id__in=ue_ids
    ).values_list("assessment_id", "enrolment_id", "status", "published", "locked"):
        grades[assessment_id].append((enrolment_id, status, published, locked))
    out: dict[int, list[AssessmentTodo]] = defaultdict(list)
    for a in assessments:
        concerned = following[a.ue_id]
        if a.makeup_of_id is not None:
            # Only the students entitled to it: a justified absence at the original (§7b).
            concerned = concerned & {
                e for e, status, _, _ in grades[a.makeup_of_id] if status == "absent_justified"
            }
        own = [g for g in grades[a.pk] if g[0] in concerned]
        out[a.ue_id].append(
            AssessmentTodo(
                assessment=a,
                expected=len(concerned),
                entered=len(own),
                drafts=sum(1 for g in own if not g[2]),
                # As the grid says it: locked once every entry is (RULES.md §7b).
                locked=bool(own) and all(g[3] for g in own),
                passed=a.date < today,
            )
        )
    return out


def _session_todos(user: User, ue_ids: list[int], now: datetime) -> dict[int, list[SessionTodo]]:
    """Per UE id, the sessions this user may take the roll of, in time order (one query).

    A roll is taken once saved from the roll page (``roll_taken_at``) or, for rolls imported
    from a cohort file, once a line of it is recorded.
    """
    sessions = (
        staff_sessions(user)
        .filter(ue_id__in=ue_ids, cancelled=False)
        .annotate(roll=Exists(Attendance.objects.filter(session_id=OuterRef("pk"))))
        .order_by("start", "pk")
    )
    out: dict[int, list[SessionTodo]] = defaultdict(list)
    for session in sessions:
        out[session.ue_id].append(
            SessionTodo(session, session.roll_taken_at is not None or session.roll)
        )
    return out


def staff_board(user: User, *, now: datetime | None = None) -> StaffBoard:
    """The to-do board of « Mes UE »: a fixed number of queries (five) whatever the numbers
    of UE, assessments, sessions and students."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ues = list(staff_ues(user))
    assessments = _assessment_todos(ues, today)
    current_ids = [ue.pk for ue in ues if ue.programme_year.frozen_at is None]
    sessions = _session_todos(user, current_ids, now) if current_ids else {}
    current, past = [], []
    for ue in ues:
        if ue.programme_year.frozen_at is not None:
            past.append(UETodo(ue=ue, frozen=True, assessments=assessments[ue.pk]))
            continue
        held = [s for s in sessions.get(ue.pk, []) if s.session.end <= now]
        coming = [s.session for s in sessions.get(ue.pk, []) if s.session.end > now]
        current.append(
            UETodo(
                ue=ue,
                frozen=False,
                assessments=assessments[ue.pk],
                rolls_to_take=[s for s in held if not s.roll_taken],
                rolls_taken=[s for s in held if s.roll_taken],
                upcoming=coming[:UPCOMING_SHOWN],
                more_upcoming=max(len(coming) - UPCOMING_SHOWN, 0),
            )
        )
    past.sort(key=lambda u: u.ue.programme_year.year, reverse=True)
    return StaffBoard(current=current, past=past)
