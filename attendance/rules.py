"""Pure attendance rules: sites and room codes (RULES.md §4), absence rate (§5).

The caller decides whether a session was held (ended and not cancelled): no clock here.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from math import floor
from types import MappingProxyType

from lib import numbers


class Site(StrEnum):
    SAINT_MARTIN = "saint-martin"
    CONTE = "conte"
    JEUNES = "jeunes"
    GAY_LUSSAC = "gay-lussac"
    PLAINE_SAINT_DENIS = "plaine-saint-denis"
    ENSAM = "ensam"


@dataclass(frozen=True, slots=True)
class SiteInfo:
    label: str
    address: tuple[str, ...]
    transport: str
    accesses: frozenset[str]
    accesses_label: str

    def allows(self, access: str) -> bool:
        return access in self.accesses


def _numbers(first: int, last: int) -> frozenset[str]:
    return frozenset(str(n) for n in range(first, last + 1))


# Livret d'accueil §2.5 « Vos lieux d'enseignement ». Three slips of the booklet are
# corrected: « Paris 3° » is the 3e arrondissement, the Jeunes site is at 40 rue des
# Jeûneurs, and the métro station is Campo-Formio.
SITES: Mapping[Site, SiteInfo] = MappingProxyType(
    {
        Site.SAINT_MARTIN: SiteInfo(
            label="Saint-Martin",
            address=("292 rue Saint-Martin", "Paris 3e"),
            transport="M° Réaumur-Sébastopol",
            accesses=_numbers(1, 29),
            accesses_label="accès 1 à 29",
        ),
        Site.CONTE: SiteInfo(
            label="Conté",
            address=("2 rue Conté", "Paris 3e"),
            transport="M° Arts et Métiers",
            accesses=_numbers(30, 39),
            accesses_label="accès 30 à 39",
        ),
        Site.JEUNES: SiteInfo(
            label="Jeunes",
            address=("40 rue des Jeûneurs", "Paris 2e"),
            transport="M° Bourse ou Grands Boulevards",
            accesses=frozenset({"40"}),
            accesses_label="accès 40",
        ),
        Site.GAY_LUSSAC: SiteInfo(
            label="Gay-Lussac",
            address=("41 rue Gay-Lussac", "Paris 5e"),
            transport="M° Luxembourg",
            accesses=frozenset({"41"}),
            accesses_label="accès 41",
        ),
        Site.PLAINE_SAINT_DENIS: SiteInfo(
            label="La Plaine Saint-Denis",
            address=("61 rue du Landy", "93210 La Plaine Saint-Denis"),
            transport="RER B La Plaine Stade-de-France",
            accesses=frozenset({"61"}),
            accesses_label="accès 61",
        ),
        Site.ENSAM: SiteInfo(
            label="Ensam",
            address=("155 boulevard de l'Hôpital", "Paris 13e"),
            transport="M° Place d'Italie ou Campo-Formio",
            accesses=frozenset({"ENS"}),
            accesses_label="accès ENS",
        ),
    }
)

# RULES.md §4: accès.étage.salle[escalier]. ASCII classes only: \d would let full-width
# or Arabic-Indic digits through.
_ROOM_RE = re.compile(
    r"(?P<access>[0-9]{1,2}|ENS)\.(?P<floor>[0-9]{1,2})\.(?P<number>[0-9]{1,3})(?P<staircase>[A-Z])?"
)


class RoomCodeError(ValueError):
    """A room code that is malformed or not of its site; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Room:
    """The parts of a room code; attendance/rooms.py reads them aloud in either language."""

    site: Site
    access: str
    floor: int
    number: str
    staircase: str | None = None

    @property
    def code(self) -> str:
        return f"{self.access}.{self.floor}.{self.number}{self.staircase or ''}"


def parse_room(*, code: str, site: Site) -> Room:
    """Parse a room code of ``site`` or raise ``RoomCodeError`` with a French message."""
    if not code:
        raise RoomCodeError("Le code de salle est obligatoire.")
    match = _ROOM_RE.fullmatch(code)
    if match is None:
        raise RoomCodeError(
            f"Code de salle « {code} » invalide : attendu accès.étage.salle, "
            "par exemple 21.2.32, 31.1.12A ou ENS.1.04."
        )
    access = match["access"]
    if access != "ENS":
        access = str(int(access))  # "05" and "5" are the same access
    info = SITES[site]
    if not info.allows(access):
        raise RoomCodeError(
            f"L'accès {access} n'appartient pas au site {info.label} ({info.accesses_label})."
        )
    return Room(
        site=site,
        access=access,
        floor=int(match["floor"]),
        number=match["number"],
        staircase=match["staircase"],
    )


class SessionKind(StrEnum):
    COURS = "cours"
    VISITE = "visite"
    SEMINAIRE = "seminaire"
    EXAMEN = "examen"


class Presence(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """One session of the student's UE and how the student attended it.

    ``held`` is decided by the caller: the session has ended and was not cancelled.
    """

    minutes: int
    kind: SessionKind
    held: bool
    presence: Presence = Presence.PRESENT
    minutes_missed: int = 0
    justified: bool = False
    # Cancelled sessions are neither held nor still to come (for the minutes still allowed).
    cancelled: bool = False

    def __post_init__(self) -> None:
        if self.minutes < 0 or self.minutes_missed < 0:
            raise ValueError("minutes and minutes_missed must not be negative")


@dataclass(frozen=True, slots=True)
class AbsenceRate:
    missed_minutes: int
    held_minutes: int
    threshold_pct: Decimal
    # Non-exam minutes of the year, held or still to come (cancelled sessions left out);
    # not part of the rate, so not of its equality.
    planned_minutes: int = field(default=0, compare=False)

    @property
    def rate(self) -> Fraction:
        """Exact percentage; 0 when nothing was held."""
        if self.held_minutes == 0:
            return Fraction(0)
        return Fraction(self.missed_minutes * 100, self.held_minutes)

    @property
    def rate_display(self) -> Decimal:
        """Percentage rounded half-up to 2 decimals, once (INTERCHANGE.md « Results »),
        from the exact ratio in integers: 20.005 % can never become 20.00 % by a binary slip,
        and no Fraction is built (every jury row and export line reads it)."""
        if self.held_minutes == 0:
            return numbers.ratio_half_up(0, 1)  # nothing held: 0 %, as ``rate`` says
        return numbers.ratio_half_up(self.missed_minutes * 100, self.held_minutes)

    @property
    def defaillant(self) -> bool:
        """Exact rate strictly above the threshold (RULES.md §5), compared without rounding."""
        return self.missed_minutes * 100 > numbers.EXACT.multiply(
            self.threshold_pct, self.held_minutes
        )

    @property
    def warning(self) -> bool:
        """Exact rate at or above 3/4 of the threshold (15 % for 20 %), défaillant included."""
        if self.missed_minutes == 0:
            return False
        return self.missed_minutes * 100 * 4 >= numbers.EXACT.multiply(
            self.threshold_pct, 3 * self.held_minutes
        )

    @property
    def minutes_left(self) -> int:
        """Minutes the student may still miss this year without being défaillant; 0 once
        défaillant (the rate is judged now, on the minutes held so far)."""
        if self.defaillant:
            return 0
        return absence_minutes_left(
            missed_minutes=self.missed_minutes,
            planned_minutes=max(self.planned_minutes, self.held_minutes),
            threshold_pct=self.threshold_pct,
        )


def absence_minutes_left(
    *, missed_minutes: int, planned_minutes: int, threshold_pct: Decimal
) -> int:
    """Whole minutes that may still be missed over ``planned_minutes`` before the rate goes
    strictly above ``threshold_pct`` (RULES.md §5): reaching the threshold exactly is allowed.

    The largest m with (missed + m) × 100 <= threshold × planned, in exact arithmetic; never
    negative.
    """
    if missed_minutes < 0 or planned_minutes < 0:
        raise ValueError("minutes must not be negative")
    allowed = floor(Fraction(threshold_pct) * planned_minutes / 100)
    return max(0, allowed - missed_minutes)


def _missed(session: SessionAttendance, *, justified_absences_count: bool) -> int:
    if session.presence == Presence.ABSENT:
        if session.justified and not justified_absences_count:
            return 0
        return session.minutes
    if session.presence == Presence.LATE:
        # INTERCHANGE.md: lateness longer than the session counts as the whole session.
        return min(session.minutes_missed, session.minutes)
    return 0


def absence_rate(
    *,
    sessions: Iterable[SessionAttendance],
    justified_absences_count: bool,
    threshold_pct: Decimal,
) -> AbsenceRate:
    """Minutes missed over minutes held, on held non-exam sessions (RULES.md §5).

    Exams are judged by their grade entry (§6), so they count in neither sum.
    """
    missed = held = planned = 0
    for session in sessions:
        if session.kind == SessionKind.EXAMEN:
            continue
        if not session.cancelled:
            planned += session.minutes
        if not session.held:
            continue
        held += session.minutes
        missed += _missed(session, justified_absences_count=justified_absences_count)
    return AbsenceRate(
        missed_minutes=missed,
        held_minutes=held,
        threshold_pct=threshold_pct,
        planned_minutes=planned,
    )


def format_rate(value: Decimal | Fraction, /) -> str:
    """French percentage with 2 decimals: « 21,25 % » (no-break space before %)."""
    return numbers.percent(value)


# ---- Planning: weekly series and clashes ------------------------------------------------------

# A series runs within one academic year: more than a year of weeks is a typing slip.
SERIES_MAX_SESSIONS = 53


class PlanningError(ValueError):
    """A series or a slot that cannot be planned; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class WeeklySeries:
    """The days of a weekly series: ``days`` kept, ``skipped`` the exceptions that fell on it,
    ``strays`` the exceptions that are not days of the series (a slip the caller refuses)."""

    days: tuple[date, ...]
    skipped: tuple[date, ...]
    strays: tuple[date, ...]


def weekly_series(*, first: date, last: date, exceptions: Iterable[date] = ()) -> WeeklySeries:
    """Every seventh day from ``first`` to ``last`` inclusive, the exceptions left out.

    Raises ``PlanningError`` when ``last`` comes before ``first``, when no day is left, or
    when the series would run past ``SERIES_MAX_SESSIONS`` weeks.
    """
    if last < first:
        raise PlanningError("La dernière date doit suivre la première.")
    weeks = (last - first).days // 7 + 1
    if weeks > SERIES_MAX_SESSIONS:
        raise PlanningError(
            f"Une série compte au plus {SERIES_MAX_SESSIONS} semaines : "
            "vérifiez la première et la dernière date."
        )
    every = [first + timedelta(weeks=n) for n in range(weeks)]
    wanted_out = set(exceptions)
    days = tuple(d for d in every if d not in wanted_out)
    skipped = tuple(d for d in every if d in wanted_out)
    strays = tuple(sorted(wanted_out - set(every)))
    if not days:
        raise PlanningError("Toutes les dates de la série sont des exceptions : rien à créer.")
    return WeeklySeries(days=days, skipped=skipped, strays=strays)


def overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Two time spans share a moment; back-to-back sessions (one ends as the next starts) do
    not clash."""
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True, slots=True)
class Slot:
    """What clash detection reads of a session (or of one still to be created)."""

    ref: int | str
    start: datetime
    end: datetime
    site: str
    room: str
    teachers: frozenset[int] = frozenset()
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Clash:
    """Two slots at once in the same room (``same_room``) and/or with ``teachers`` in common."""

    first: Slot
    second: Slot
    same_room: bool
    teachers: frozenset[int]

    def other(self, ref: int | str) -> Slot:
        return self.second if self.first.ref == ref else self.first


def clashes(slots: Iterable[Slot]) -> list[Clash]:
    """Every pair of slots overlapping in time at the same site and room, or sharing a
    teacher; cancelled slots are left out. Pairs in start order, each found once."""
    ordered = sorted((s for s in slots if not s.cancelled), key=lambda s: (s.start, s.end))
    found: list[Clash] = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.start >= first.end:
                # Sorted by start: no later slot can overlap ``first`` either.
                break
            same_room = (first.site, first.room) == (second.site, second.room)
            shared = first.teachers & second.teachers
            if same_room or shared:
                found.append(Clash(first, second, same_room=same_room, teachers=shared))
    return found
