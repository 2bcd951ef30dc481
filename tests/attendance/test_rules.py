"""Room codes (RULES.md §4) and the absence rate (§5), without a database."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from attendance.rooms import room_reading
from attendance.rules import (
    SITES,
    AbsenceRate,
    Presence,
    RoomCodeError,
    SessionAttendance,
    SessionKind,
    Site,
    absence_minutes_left,
    absence_rate,
    format_rate,
    parse_room,
)
from lib import numbers

D = Decimal
TWENTY = D(20)


def cours(
    minutes=120,
    *,
    presence=Presence.PRESENT,
    late=0,
    justified=False,
    held=True,
    kind=SessionKind.COURS,
):
    return SessionAttendance(
        minutes=minutes,
        kind=kind,
        held=held,
        presence=presence,
        minutes_missed=late,
        justified=justified,
    )


def absent(minutes=120, **kwargs):
    return cours(minutes, presence=Presence.ABSENT, **kwargs)


def late(missed, minutes=120, **kwargs):
    return cours(minutes, presence=Presence.LATE, late=missed, **kwargs)


def rate(sessions, *, justified_count=True, threshold=TWENTY):
    return absence_rate(
        sessions=sessions, justified_absences_count=justified_count, threshold_pct=threshold
    )


# --- sites and rooms ---------------------------------------------------------------------


def test_every_site_of_the_booklet_is_described():
    assert set(SITES) == set(Site)
    assert SITES[Site.SAINT_MARTIN].label == "Saint-Martin"
    assert SITES[Site.SAINT_MARTIN].transport == "M° Réaumur-Sébastopol"
    assert SITES[Site.PLAINE_SAINT_DENIS].address[-1] == "93210 La Plaine Saint-Denis"


@pytest.mark.parametrize(
    ("site", "inside", "outside"),
    [
        (Site.SAINT_MARTIN, ["1", "15", "29"], ["30", "0", "ENS"]),
        (Site.CONTE, ["30", "39"], ["29", "40"]),
        (Site.JEUNES, ["40"], ["41"]),
        (Site.GAY_LUSSAC, ["41"], ["40"]),
        (Site.PLAINE_SAINT_DENIS, ["61"], ["60", "62"]),
        (Site.ENSAM, ["ENS"], ["1"]),
    ],
)
def test_site_accesses_follow_the_booklet(site, inside, outside):
    info = SITES[site]
    assert all(info.allows(a) for a in inside)
    assert not any(info.allows(a) for a in outside)


@pytest.mark.parametrize(
    ("code", "site", "described"),
    [
        ("21.2.32", Site.SAINT_MARTIN, "accès 21, 2e étage, salle 32"),
        ("21.1.12", Site.SAINT_MARTIN, "accès 21, 1er étage, salle 12"),
        ("31.1.12A", Site.CONTE, "accès 31, 1er étage, salle 12, escalier A"),
        ("33.0.05", Site.CONTE, "accès 33, rez-de-chaussée, salle 05"),
        ("ENS.1.04", Site.ENSAM, "accès ENS, 1er étage, salle 04"),
        ("40.10.100", Site.JEUNES, "accès 40, 10e étage, salle 100"),
        ("61.3.1", Site.PLAINE_SAINT_DENIS, "accès 61, 3e étage, salle 1"),
        ("41.0.2Z", Site.GAY_LUSSAC, "accès 41, rez-de-chaussée, salle 2, escalier Z"),
    ],
)
def test_valid_room_codes_are_read_in_french(code, site, described):
    room = parse_room(code=code, site=site)
    with translation.override("fr"):
        assert room_reading(room) == described
    assert room.code == code


def test_room_code_fields():
    room = parse_room(code="31.1.12A", site=Site.CONTE)
    assert (room.access, room.floor, room.number, room.staircase) == ("31", 1, "12", "A")


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ("21.2.32", Site.CONTE),
        ("31.1.12", Site.SAINT_MARTIN),
        ("ENS.1.04", Site.SAINT_MARTIN),
        ("21.2.32", Site.ENSAM),
        ("40.1.1", Site.GAY_LUSSAC),
    ],
)
def test_access_of_another_site_is_refused_with_the_site_named(code, site):
    with pytest.raises(RoomCodeError) as excinfo:
        parse_room(code=code, site=site)
    assert SITES[site].label in excinfo.value.message
    assert "n'appartient pas" in excinfo.value.message


@pytest.mark.parametrize(
    "code",
    [
        "ens.1.04",
        "21.2.32a",
        "21..32",
        "1234.1.1",
        "21.2.3245",
        "21.123.1",
        "２１.２.３２",
        "\u0662\u0661.2.32",
        " 21.2.32",
        "21.2.32 ",
        "21 .2.32",
        "21.2",
        "21.2.32.1",
        "21.2.32AB",
        "21-2-32",
        "21,2,32",
        "ENS1.04",
        "A.1.1",
        "21.2.32\n",
    ],
)
def test_malformed_room_codes_are_refused(code):
    with pytest.raises(RoomCodeError) as excinfo:
        parse_room(code=code, site=Site.SAINT_MARTIN)
    assert "invalide" in excinfo.value.message


def test_empty_room_code_is_refused():
    with pytest.raises(RoomCodeError, match="obligatoire"):
        parse_room(code="", site=Site.CONTE)


# --- absence rate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missed_minutes", "defaillant"),
    [(479, False), (480, False), (481, True)],
)
def test_only_a_rate_strictly_above_twenty_percent_is_defaillant(missed_minutes, defaillant):
    sessions = [cours(2400 - missed_minutes), absent(missed_minutes)]
    r = rate(sessions)
    assert r.held_minutes == 2400
    assert r.defaillant is defaillant


def test_exactly_twenty_percent_absence_is_not_defaillant():
    r = rate([absent(120) for _ in range(4)] + [cours(120) for _ in range(16)])
    assert r.rate == 20
    assert r.rate_display == D("20.00")
    assert not r.defaillant


def test_defaillance_compares_the_exact_rate_not_the_rounded_one():
    # 2001 / 10000 = 20.01 %; 20001 / 100000 = 20.001 % shows 20.00 but is above 20.
    r = rate([cours(100_000 - 20_001), absent(20_001)])
    assert r.rate_display == D("20.00")
    assert r.defaillant


def test_threshold_may_be_a_decimal():
    r = rate([cours(800), absent(175)], threshold=D("17.5"))  # 175/975 = 17.95 %
    assert r.defaillant
    r = rate([cours(825), absent(175)], threshold=D("17.5"))  # exactly 17.5 %
    assert not r.defaillant


@pytest.mark.parametrize(
    ("missed", "warning"),
    [(359, False), (360, True), (480, True), (481, True)],
)
def test_warning_starts_at_three_quarters_of_the_threshold(missed, warning):
    r = rate([cours(2400 - missed), absent(missed)])  # 360 / 2400 = 15 %
    assert r.warning is warning


def test_no_session_held_gives_zero_and_no_defaillance():
    r = rate([absent(held=False), cours(kind=SessionKind.EXAMEN, presence=Presence.ABSENT)])
    assert (r.missed_minutes, r.held_minutes) == (0, 0)
    assert r.rate == 0
    assert r.rate_display == D("0.00")
    assert str(r.rate_display) == "0.00"
    assert not r.defaillant
    assert not r.warning


def test_late_minutes_count_and_are_capped_at_the_session_length():
    r = rate([late(30, 120), late(500, 60), cours(20)])
    assert r.missed_minutes == 30 + 60
    assert r.held_minutes == 200


def test_absence_counts_the_whole_session():
    assert rate([absent(90), cours(30)]).missed_minutes == 90


@pytest.mark.parametrize(
    ("justified_count", "missed", "held"),
    [(True, 120, 240), (False, 0, 240)],
)
def test_justified_absences_follow_the_programme_setting(justified_count, missed, held):
    r = rate([absent(120, justified=True), cours(120)], justified_count=justified_count)
    assert (r.missed_minutes, r.held_minutes) == (missed, held)


def test_unjustified_absence_counts_whatever_the_setting():
    assert rate([absent(60), cours(60)], justified_count=False).missed_minutes == 60


@pytest.mark.parametrize("kind", [SessionKind.COURS, SessionKind.VISITE, SessionKind.SEMINAIRE])
def test_teaching_activities_count(kind):
    assert rate([absent(60, kind=kind)]).held_minutes == 60


def test_exam_sessions_change_neither_sum():
    base = [absent(60), cours(240)]
    with_exam = [*base, absent(180, kind=SessionKind.EXAMEN), late(30, kind=SessionKind.EXAMEN)]
    assert rate(with_exam) == rate(base)


def test_sessions_not_held_are_ignored():
    base = [absent(60), cours(240)]
    assert rate([*base, absent(120, held=False), cours(120, held=False)]) == rate(base)


def test_rate_display_rounds_half_up_once():
    r = rate([cours(7999), absent(1)])  # 1/8000 = 0.0125 % → 0.01
    assert r.rate_display == D("0.01")
    r = rate([cours(1599), absent(1)])  # 1/1600 = 0.0625 % → 0.06
    assert r.rate_display == D("0.06")
    r = rate([cours(199), absent(1)])  # 0.5 %
    assert r.rate_display == D("0.50")
    r = rate([cours(1), absent(2)])  # 66.666… % → 66.67
    assert r.rate_display == D("66.67")


@pytest.mark.parametrize("bad", [{"minutes": -1}, {"minutes_missed": -5}])
def test_negative_minutes_are_refused(bad):
    args = {"minutes": 60, "kind": SessionKind.COURS, "held": True} | bad
    with pytest.raises(ValueError):
        SessionAttendance(**args)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("21.25"), "21,25\xa0%"),
        (D("0"), "0,00\xa0%"),
        (D("20"), "20,00\xa0%"),
        (Fraction(85, 4), "21,25\xa0%"),
        (D("12.345"), "12,35\xa0%"),
    ],
)
def test_format_rate_is_french(value, text):
    assert format_rate(value) == text


session_strategy = st.builds(
    SessionAttendance,
    minutes=st.integers(min_value=0, max_value=600),
    kind=st.sampled_from(SessionKind),
    held=st.booleans(),
    presence=st.sampled_from(Presence),
    minutes_missed=st.integers(min_value=0, max_value=900),
    justified=st.booleans(),
)


@given(st.lists(session_strategy, max_size=30), st.booleans())
def test_absence_rate_lies_between_zero_and_one_hundred(sessions, justified_count):
    r = rate(sessions, justified_count=justified_count)
    assert 0 <= r.missed_minutes <= r.held_minutes
    assert 0 <= r.rate <= 100
    assert D(0) <= r.rate_display <= D(100)


@given(
    st.lists(session_strategy, min_size=1, max_size=20),
    st.integers(min_value=0),
    st.sampled_from([Presence.LATE, Presence.ABSENT]),
    st.integers(min_value=0, max_value=900),
)
def test_absence_rate_never_drops_when_a_student_misses_more(sessions, index, worse, extra):
    index %= len(sessions)
    before = sessions[index]
    if before.presence == Presence.ABSENT:
        worse = Presence.ABSENT
    after = SessionAttendance(
        minutes=before.minutes,
        kind=before.kind,
        held=before.held,
        presence=worse,
        minutes_missed=before.minutes_missed + extra,
        justified=False,
    )
    changed = [*sessions[:index], after, *sessions[index + 1 :]]
    for justified_count in (True, False):
        r_before = rate(sessions, justified_count=justified_count)
        r_after = rate(changed, justified_count=justified_count)
        assert r_after.held_minutes == r_before.held_minutes
        assert r_after.missed_minutes >= r_before.missed_minutes
        assert r_after.rate >= r_before.rate
        assert r_after.defaillant >= r_before.defaillant


# --- absence time still allowed before the threshold --------------------------------------


@pytest.mark.parametrize(
    ("missed", "planned", "threshold", "left"),
    [
        (0, 3000, TWENTY, 600),  # 20 % of 50 h = 10 h
        (30, 3000, TWENTY, 570),  # the demo's Camille: 30 min late → 9 h 30 left
        (479, 2400, TWENTY, 1),
        (480, 2400, TWENTY, 0),  # exactly 20 %: nothing left, yet not défaillant
        (481, 2400, TWENTY, 0),  # above: never negative
        (0, 0, TWENTY, 0),  # nothing planned
        (0, 100, D("17.5"), 17),  # 17.5 min: whole minutes only, rounded down
        (0, 2401, TWENTY, 480),  # 480.2 → 480
        (0, 1000, D(0), 0),
    ],
)
def test_absence_minutes_left_up_to_the_threshold_included(missed, planned, threshold, left):
    assert (
        absence_minutes_left(
            missed_minutes=missed, planned_minutes=planned, threshold_pct=threshold
        )
        == left
    )


@pytest.mark.parametrize("missed", [0, 1, 59, 479, 480])
def test_missing_exactly_the_minutes_left_is_not_defaillant_one_more_is(missed):
    left = absence_minutes_left(missed_minutes=missed, planned_minutes=2400, threshold_pct=TWENTY)
    at_limit = rate([cours(2400 - missed - left), absent(missed + left)])
    assert at_limit.held_minutes == 2400
    assert not at_limit.defaillant
    one_more = rate([cours(2400 - missed - left - 1), absent(missed + left + 1)])
    assert one_more.defaillant


def test_minutes_left_count_the_sessions_still_to_come_but_not_cancelled_ones():
    sessions = [
        late(30, 240),
        cours(240),
        cours(240, held=False),  # still to come
        SessionAttendance(minutes=240, kind=SessionKind.COURS, held=False, cancelled=True),
        cours(180, held=False, kind=SessionKind.EXAMEN),
    ]
    r = rate(sessions)
    assert (r.missed_minutes, r.held_minutes, r.planned_minutes) == (30, 480, 720)
    assert r.minutes_left == 144 - 30  # 20 % of the 720 min planned


def test_minutes_left_are_zero_once_defaillant_whatever_is_still_to_come():
    r = rate([absent(120), cours(240), cours(2400, held=False)])  # 120 / 360 = 33 %
    assert r.defaillant
    assert r.minutes_left == 0


def test_justified_absences_use_the_minutes_left_only_when_they_count():
    sessions = [absent(120, justified=True), cours(480)]
    assert rate(sessions, justified_count=True).minutes_left == 0  # 120 of 600: at 20 %
    assert rate(sessions, justified_count=False).minutes_left == 120


@given(st.lists(session_strategy, max_size=20), st.booleans())
def test_minutes_left_never_exceed_what_keeps_the_rate_at_the_threshold(sessions, justified_count):
    r = rate(sessions, justified_count=justified_count)
    if r.defaillant:
        assert r.minutes_left == 0
    else:
        planned = max(r.planned_minutes, r.held_minutes)
        assert (r.missed_minutes + r.minutes_left) * 100 <= TWENTY * planned
        assert (r.missed_minutes + r.minutes_left + 1) * 100 > TWENTY * planned


def test_negative_minutes_have_no_allowance():
    with pytest.raises(ValueError):
        absence_minutes_left(missed_minutes=-1, planned_minutes=100, threshold_pct=TWENTY)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_the_displayed_rate_is_the_exact_rate_rounded_half_up(missed, held):
    """The integer shortcut of ``rate_display`` writes what the exact Fraction gives."""
    rate = AbsenceRate(missed_minutes=missed, held_minutes=held, threshold_pct=TWENTY)
    expected = numbers.round_half_up(rate.rate)
    assert str(rate.rate_display) == str(expected)
