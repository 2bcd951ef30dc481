"""Grade input, make-ups and UE averages (RULES.md §6), without a database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grading.rules import (
    AssessmentInfo,
    AssessmentKind,
    GradeEntry,
    GradeInputError,
    GradeStatus,
    UEStatus,
    format_grade,
    parse_grade,
    ue_result,
    validate_makeup,
)
from tests.grade_entries import ABSENT, JUSTIFIED, PLAGIARISM, graded

D = Decimal
PASS = D(10)
CC, CT = AssessmentKind.CC, AssessmentKind.CT


def cc(key: str, weight: str = "1", ue: str = "RSV206") -> AssessmentInfo:
    return AssessmentInfo(key=key, ue=ue, kind=CC, weight=D(weight))


def ct(key: str, weight: str = "1", ue: str = "RSV206", makeup_of: str | None = None):
    return AssessmentInfo(key=key, ue=ue, kind=CT, weight=D(weight), makeup_of=makeup_of)


def result(assessments, entries, *, credits=8, pass_mark=PASS):
    return ue_result(
        ue="RSV206",
        credits=credits,
        assessments=assessments,
        entries=entries,
        pass_mark=pass_mark,
    )


# --- parse_grade -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12.00"),
        ("12.5", "12.50"),
        ("12,5", "12.50"),
        ("12.50", "12.50"),
        ("0", "0.00"),
        ("20", "20.00"),
        ("20.00", "20.00"),
        ("  9,75 ", "9.75"),
        ("05", "5.00"),
    ],
)
def test_parse_grade_accepts_french_and_point_decimals(text, expected):
    value = parse_grade(text)
    assert value == D(expected)
    assert str(value) == expected  # normalised to exactly two decimals, never 1E+1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "20,5",
        "20.01",
        "21",
        "100",
        "-1",
        "-0",
        "abc",
        "12.345",
        "1_0",
        "1e1",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "0x10",
        "=1+1",
        "+5",
        "１２",
        "\u0661\u0662",  # Arabic-Indic ١٢
        ".",
        "12.",
        ".5",
        "12,5,0",
        "1 2",
        "12\n0",
        "12.5.",
    ],
)
def test_attack_6_parse_grade_refuses_anything_but_a_plain_grade_between_0_and_20(text):
    with pytest.raises(GradeInputError) as excinfo:
        parse_grade(text)
    assert excinfo.value.message  # a French message a form can show


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "La note est obligatoire."),
        ("20,5", "La note doit être comprise entre 0 et 20."),
        ("20.01", "La note doit être comprise entre 0 et 20."),
        ("-1", "La note doit être comprise entre 0 et 20."),
        ("-0", "La note doit être comprise entre 0 et 20."),
        ("12.345", "La note doit être un nombre avec au plus deux décimales (ex. 12,5)."),
        ("abc", "La note doit être un nombre avec au plus deux décimales (ex. 12,5)."),
    ],
)
def test_parse_grade_explains_why_in_french(text, message):
    with pytest.raises(GradeInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_grade(text)


@given(
    hundredths=st.integers(min_value=0, max_value=2000),
    decimals=st.sampled_from([0, 1, 2]),
    separator=st.sampled_from([".", ","]),
)
def test_parse_grade_round_trips_every_valid_grade(hundredths, decimals, separator):
    value = D(hundredths) / 100
    if value != value.quantize(D(1).scaleb(-decimals)):
        decimals = 2  # needs more decimals than asked: write it with two
    text = f"{value:.{decimals}f}"
    if decimals:
        text = text.replace(".", separator)
    parsed = parse_grade(text)
    assert parsed == value
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("12.5"), "12,50"), (D("0"), "0,00"), (D("-0"), "0,00"), (D("20"), "20,00"), (None, "—")],
)
def test_format_grade_is_french_with_two_decimals(value, text):
    assert format_grade(value) == text


# --- UE average --------------------------------------------------------------------------


def test_weighted_average_uses_weights_one_and_a_half_and_one_half():
    r = result([cc("A", "1.5"), ct("B", "0.5")], {"A": graded("12"), "B": graded("8")})
    # (1.5×12 + 0.5×8) / 2 = 11
    assert r.average == D("11.00")
    assert r.status == UEStatus.VALIDATED


@pytest.mark.parametrize(
    ("marks", "raw", "average", "status"),
    [
        (["10", "10", "10", "10", "9.97"], "9.994", "9.99", UEStatus.FAILED),
        (["10", "9.99"], "9.995", "10.00", UEStatus.VALIDATED),
        (["10"], "10", "10.00", UEStatus.VALIDATED),
        (["9.99"], "9.99", "9.99", UEStatus.FAILED),
    ],
)
def test_rounded_average_decides_validation_at_the_pass_mark(marks, raw, average, status):
    assessments = [cc(f"CC{i}") for i in range(len(marks))]
    entries = {f"CC{i}": graded(m) for i, m in enumerate(marks)}
    r = result(assessments, entries)
    assert r.raw_average == D(raw)
    assert r.average == D(average)
    assert r.status == status


def test_exact_quotient_is_rounded_once_not_in_steps():
    # 29.99 / 3 = 9.99666… → 10.00; truncating to 9.99 first would fail the student.
    r = result(
        [cc("A"), cc("B"), cc("C")], {"A": graded("10"), "B": graded("10"), "C": graded("9.99")}
    )
    assert r.average == D("10.00")


def test_validated_ue_grants_its_credits_and_failed_one_none():
    ok = result([ct("CT")], {"CT": graded("10")}, credits=8)
    ko = result([ct("CT")], {"CT": graded("9.5")}, credits=8)
    assert (ok.status, ok.credits) == (UEStatus.VALIDATED, 8)
    assert (ko.status, ko.credits) == (UEStatus.FAILED, 0)


def test_pass_mark_is_data_not_a_constant():
    r = result([ct("CT")], {"CT": graded("11")}, pass_mark=D(12))
    assert r.status == UEStatus.FAILED


def test_ue_with_no_assessment_is_pending():
    r = result([], {})
    assert r.status == UEStatus.PENDING
    assert r.average is None
    assert r.credits == 0
    assert not r.has_assessment


def test_ue_with_only_a_makeup_and_no_original_is_pending():
    r = result([ct("R", makeup_of="CT")], {"R": graded("15")})
    assert r.status == UEStatus.PENDING


def test_original_without_entry_leaves_the_ue_pending_and_is_listed():
    r = result([cc("CC1"), ct("CT", "2")], {"CC1": graded("15")})
    assert r.status == UEStatus.PENDING
    assert r.average is None
    assert r.missing == ("CT",)


def test_unjustified_absence_counts_zero_and_is_missed():
    r = result([cc("CC1"), ct("CT")], {"CC1": graded("16"), "CT": ABSENT})
    assert r.average == D("8.00")
    assert r.missed == ("CT",)
    assert r.status == UEStatus.FAILED


def test_average_exists_when_defaillant_by_a_missed_assessment():
    r = result([cc("CC1"), ct("CT")], {"CC1": graded("20"), "CT": ABSENT}, pass_mark=D(10))
    assert r.average == D("10.00")
    assert r.status == UEStatus.VALIDATED  # validated, yet the student is défaillant
    assert r.missed == ("CT",)


def test_plagiarism_counts_zero_but_is_not_missed():
    r = result([cc("CC1"), ct("CT")], {"CC1": PLAGIARISM, "CT": graded("16")})
    assert r.average == D("8.00")
    assert r.missed == ()


def test_justified_absence_without_makeup_assessment_waits_for_a_makeup():
    r = result([cc("CC1"), ct("CT")], {"CC1": graded("12"), "CT": JUSTIFIED})
    assert r.status == UEStatus.PENDING
    assert r.makeup_pending == ("CT",)
    assert r.missing == ()


def test_justified_absence_with_unmarked_makeup_waits():
    r = result([ct("CT"), ct("CT-R", makeup_of="CT")], {"CT": JUSTIFIED})
    assert r.status == UEStatus.PENDING
    assert r.makeup_pending == ("CT",)


def test_makeup_mark_replaces_the_justified_absence():
    r = result(
        [cc("CC1"), ct("CT", "2"), ct("CT-R", "2", makeup_of="CT")],
        {"CC1": graded("12"), "CT": JUSTIFIED, "CT-R": graded("14")},
    )
    # (12 + 2×14) / 3 = 13.333…
    assert r.average == D("13.33")
    assert [(c.original, c.source, c.mark) for c in r.counted] == [
        ("CC1", "CC1", D("12")),
        ("CT", "CT-R", D("14")),
    ]


def test_plagiarism_at_the_makeup_counts_zero():
    r = result(
        [cc("CC1"), ct("CT"), ct("CT-R", makeup_of="CT")],
        {"CC1": graded("12"), "CT": JUSTIFIED, "CT-R": PLAGIARISM},
    )
    assert r.average == D("6.00")
    assert r.missed == ()


def test_absent_at_the_makeup_counts_zero_and_is_missed_under_the_makeup_key():
    r = result(
        [cc("CC1"), ct("CT"), ct("CT-R", makeup_of="CT")],
        {"CC1": graded("12"), "CT": JUSTIFIED, "CT-R": ABSENT},
    )
    assert r.average == D("6.00")
    assert r.missed == ("CT-R",)
    assert r.makeup_pending == ()


def test_justified_absence_at_the_makeup_keeps_waiting_under_the_original_key():
    r = result(
        [cc("CC1"), ct("CT"), ct("CT-R", makeup_of="CT")],
        {"CC1": graded("12"), "CT": JUSTIFIED, "CT-R": JUSTIFIED},
    )
    assert r.status == UEStatus.PENDING
    assert r.makeup_pending == ("CT",)


@pytest.mark.parametrize("original", [graded("7"), ABSENT, PLAGIARISM])
def test_makeup_entry_is_ignored_unless_the_original_was_absent_justified(original):
    assessments = [ct("CT"), ct("CT-R", makeup_of="CT")]
    without = result(assessments, {"CT": original})
    with_makeup = result(assessments, {"CT": original, "CT-R": graded("18")})
    assert with_makeup == without
    assert with_makeup.average == (D("7.00") if original.value else D("0.00"))


def test_entries_of_other_assessments_are_ignored():
    r = result([ct("CT")], {"CT": graded("12"), "RSV207-CT": graded("2")})
    assert r.average == D("12.00")


def test_assessment_of_another_ue_is_a_programming_error():
    with pytest.raises(ValueError, match="not of UE RSV206: X"):
        result([ct("X", ue="RSV207")], {})


def test_two_makeups_for_one_original_are_a_programming_error():
    with pytest.raises(ValueError):
        result([ct("CT"), ct("R1", makeup_of="CT"), ct("R2", makeup_of="CT")], {})


@pytest.mark.parametrize("weight", ["0", "-1"])
def test_weight_must_be_positive(weight):
    with pytest.raises(ValueError):
        cc("A", weight)


@pytest.mark.parametrize(
    ("status", "value"),
    [(GradeStatus.GRADED, None), (GradeStatus.ABSENT, "3"), (GradeStatus.GRADED, "21")],
)
def test_grade_entry_refuses_inconsistent_values(status, value):
    with pytest.raises(ValueError):
        GradeEntry(status=status, value=None if value is None else D(value))


mark_strategy = st.integers(min_value=0, max_value=2000).map(lambda n: D(n) / 100)
weight_strategy = st.sampled_from(["0.5", "1", "1.5", "2", "3", "0.25"]).map(D)
counted_entry = st.one_of(
    mark_strategy.map(lambda m: GradeEntry(status=GradeStatus.GRADED, value=m)),
    st.just(ABSENT),
    st.just(PLAGIARISM),
)


@given(st.lists(st.tuples(weight_strategy, counted_entry), min_size=1, max_size=6))
def test_average_lies_between_smallest_and_largest_mark_counted(items):
    assessments = [cc(f"A{i}", str(w)) for i, (w, _) in enumerate(items)]
    entries = {f"A{i}": e for i, (_, e) in enumerate(items)}
    marks = [e.value if e.status == GradeStatus.GRADED else D(0) for _, e in items]
    r = result(assessments, entries)
    assert r.raw_average is not None and r.average is not None
    assert min(marks) <= r.raw_average <= max(marks)
    assert min(marks) <= r.average <= max(marks)


# --- make-up attachment ------------------------------------------------------------------


def test_valid_makeup_has_no_error():
    assert (
        validate_makeup(
            makeup=ct("R", "2", makeup_of="CT"),
            original=ct("CT", "2"),
            existing_makeup_of_original=None,
        )
        == []
    )


def test_makeup_without_original_is_refused():
    errors = validate_makeup(
        makeup=ct("R", makeup_of="CT"), original=None, existing_makeup_of_original=None
    )
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("original", "fragment"),
    [
        (ct("CT", ue="RSV207"), "même UE"),
        (cc("CT"), "même type"),
        (ct("CT", "1.5"), "même coefficient"),
        (ct("CT", makeup_of="OTHER"), "elle-même un rattrapage"),
    ],
)
def test_makeup_must_match_its_original(original, fragment):
    errors = validate_makeup(
        makeup=ct("R", makeup_of="CT"), original=original, existing_makeup_of_original=None
    )
    assert len(errors) == 1
    assert fragment in errors[0]


def test_original_has_at_most_one_makeup():
    errors = validate_makeup(
        makeup=ct("R2", makeup_of="CT"), original=ct("CT"), existing_makeup_of_original="R1"
    )
    assert errors == ["CT a déjà un rattrapage (R1)."]


def test_a_makeup_re_validated_against_itself_is_not_a_second_makeup():
    assert (
        validate_makeup(
            makeup=ct("R", makeup_of="CT"), original=ct("CT"), existing_makeup_of_original="R"
        )
        == []
    )


def test_several_makeup_errors_are_all_reported():
    errors = validate_makeup(
        makeup=ct("R", makeup_of="CT"),
        original=cc("CT", "2", ue="RSV207"),
        existing_makeup_of_original="R0",
    )
    assert len(errors) == 4
