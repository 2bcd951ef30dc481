"""The planning's pure rules: the days of a weekly series and the clashes (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from attendance import rules
from attendance.rules import PlanningError, Slot, clashes, overlap, weekly_series

PARIS = dt.timezone(dt.timedelta(hours=2))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 10, day, hour, minute, tzinfo=PARIS)


def slot(ref: int, start: dt.datetime, end: dt.datetime, **kwargs: object) -> Slot:
    values: dict[str, object] = {"site": "conte", "room": "31.1.12", **kwargs}
    return Slot(ref=ref, start=start, end=end, **values)  # type: ignore[arg-type]


# ---- Weekly series ----------------------------------------------------------------------------


def test_a_series_runs_every_seventh_day_up_to_the_last_date_included():
    series = weekly_series(first=dt.date(2025, 10, 6), last=dt.date(2025, 10, 27))
    assert series.days == (
        dt.date(2025, 10, 6),
        dt.date(2025, 10, 13),
        dt.date(2025, 10, 20),
        dt.date(2025, 10, 27),
    )
    assert series.skipped == ()


def test_a_last_date_between_two_weeks_stops_at_the_week_before():
    series = weekly_series(first=dt.date(2025, 10, 6), last=dt.date(2025, 10, 19))
    assert series.days == (dt.date(2025, 10, 6), dt.date(2025, 10, 13))


def test_exceptions_are_skipped_and_said():
    series = weekly_series(
        first=dt.date(2025, 10, 6),
        last=dt.date(2025, 11, 10),
        exceptions=[dt.date(2025, 10, 27), dt.date(2025, 11, 10)],
    )
    assert series.days == (
        dt.date(2025, 10, 6),
        dt.date(2025, 10, 13),
        dt.date(2025, 10, 20),
        dt.date(2025, 11, 3),
    )
    assert series.skipped == (dt.date(2025, 10, 27), dt.date(2025, 11, 10))
    assert series.strays == ()


def test_an_exception_off_the_series_is_a_stray_for_the_caller_to_refuse():
    series = weekly_series(
        first=dt.date(2025, 10, 6), last=dt.date(2025, 10, 20), exceptions=[dt.date(2025, 10, 7)]
    )
    assert series.strays == (dt.date(2025, 10, 7),)
    assert len(series.days) == 3


def test_a_single_day_series_is_one_session():
    series = weekly_series(first=dt.date(2025, 10, 6), last=dt.date(2025, 10, 6))
    assert series.days == (dt.date(2025, 10, 6),)


def test_a_last_date_before_the_first_is_refused():
    with pytest.raises(PlanningError) as info:
        weekly_series(first=dt.date(2025, 10, 6), last=dt.date(2025, 10, 5))
    assert info.value.message == "La dernière date doit suivre la première."


def test_a_series_with_every_day_excepted_is_refused():
    with pytest.raises(PlanningError) as info:
        weekly_series(
            first=dt.date(2025, 10, 6), last=dt.date(2025, 10, 6), exceptions=[dt.date(2025, 10, 6)]
        )
    assert info.value.message == "Toutes les dates de la série sont des exceptions : rien à créer."


@pytest.mark.parametrize(
    ("weeks", "allowed"),
    [(rules.SERIES_MAX_SESSIONS, True), (rules.SERIES_MAX_SESSIONS + 1, False)],
)
def test_a_series_is_at_most_a_year_of_weeks(weeks, allowed):
    first = dt.date(2025, 9, 1)
    last = first + dt.timedelta(weeks=weeks - 1)
    if allowed:
        assert len(weekly_series(first=first, last=last).days) == weeks
    else:
        with pytest.raises(PlanningError):
            weekly_series(first=first, last=last)


# ---- Overlap and clashes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b_start", "b_end", "expected"),
    [
        (at(6, 10), at(6, 12), True),  # one hour in common
        (at(6, 9), at(6, 11), True),  # the same span
        (at(6, 9, 30), at(6, 10), True),  # inside
        (at(6, 11), at(6, 13), False),  # starts as the other ends
        (at(6, 7), at(6, 9), False),  # ends as the other starts
        (at(6, 12), at(6, 13), False),  # later
    ],
)
def test_overlap_is_a_moment_in_common_back_to_back_is_not(b_start, b_end, expected):
    assert overlap(at(6, 9), at(6, 11), b_start, b_end) is expected
    assert overlap(b_start, b_end, at(6, 9), at(6, 11)) is expected


def test_two_sessions_at_once_in_the_same_room_clash():
    found = clashes([slot(1, at(6, 9), at(6, 11)), slot(2, at(6, 10), at(6, 12))])
    assert len(found) == 1
    assert found[0].same_room is True
    assert found[0].teachers == frozenset()
    assert found[0].other(1).ref == 2


def test_the_same_room_number_at_another_site_is_another_room():
    a = slot(1, at(6, 9), at(6, 11), site="saint-martin", room="21.2.32")
    b = slot(2, at(6, 9), at(6, 11), site="conte", room="21.2.32")
    assert clashes([a, b]) == []


def test_a_teacher_in_two_rooms_at_once_is_a_clash():
    a = slot(1, at(6, 9), at(6, 11), room="31.1.12", teachers=frozenset({7, 8}))
    b = slot(2, at(6, 10), at(6, 12), room="33.0.05", teachers=frozenset({8}))
    [found] = clashes([a, b])
    assert found.same_room is False
    assert found.teachers == frozenset({8})


def test_same_room_and_same_teacher_is_one_clash_with_both_reasons():
    a = slot(1, at(6, 9), at(6, 11), teachers=frozenset({7}))
    b = slot(2, at(6, 9), at(6, 11), teachers=frozenset({7}))
    [found] = clashes([a, b])
    assert found.same_room is True
    assert found.teachers == frozenset({7})


def test_a_cancelled_session_clashes_with_nothing():
    a = slot(1, at(6, 9), at(6, 11))
    b = slot(2, at(6, 9), at(6, 11), cancelled=True)
    assert clashes([a, b]) == []


def test_back_to_back_sessions_in_one_room_do_not_clash():
    assert clashes([slot(1, at(6, 9), at(6, 11)), slot(2, at(6, 11), at(6, 13))]) == []


def test_every_pair_is_found_once_whatever_the_order():
    slots = [
        slot(3, at(6, 10), at(6, 11)),
        slot(1, at(6, 8), at(6, 12)),
        slot(2, at(6, 9), at(6, 10, 30)),
        slot(4, at(6, 12), at(6, 13)),
    ]
    pairs = {frozenset({c.first.ref, c.second.ref}) for c in clashes(slots)}
    assert pairs == {frozenset({1, 2}), frozenset({1, 3}), frozenset({2, 3})}
    assert len(clashes(slots)) == 3


def test_the_absence_rules_are_untouched_by_a_makeup_exam():
    # A make-up is an « examen » session (Session.makeup): left out of the rate like any exam.
    exam = rules.SessionAttendance(
        minutes=120, kind=rules.SessionKind.EXAMEN, held=True, presence=rules.Presence.ABSENT
    )
    course = rules.SessionAttendance(minutes=120, kind=rules.SessionKind.COURS, held=True)
    rate = rules.absence_rate(
        sessions=[exam, course], justified_absences_count=True, threshold_pct=Decimal("20")
    )
    assert (rate.missed_minutes, rate.held_minutes) == (0, 120)
