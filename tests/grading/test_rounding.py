"""The UE average is the exact quotient rounded half-up once (RULES.md §6, §8 #9), whatever
the weights: checked against Fraction arithmetic, the plainest statement of the rule."""

from decimal import Decimal
from fractions import Fraction
from math import floor

from hypothesis import given
from hypothesis import strategies as st

from grading.rules import AssessmentInfo, AssessmentKind, GradeEntry, GradeStatus, ue_result

D = Decimal


def expected_average(items: list[tuple[Decimal, Decimal]]) -> Decimal:
    quotient = Fraction(sum(w * m for w, m in items)) / Fraction(sum(w for w, _ in items))
    return (D(floor(quotient * 100 + Fraction(1, 2))) / 100).quantize(D("0.01"))


mark = st.integers(min_value=0, max_value=2000).map(lambda n: D(n).scaleb(-2))
weight = st.one_of(
    st.integers(min_value=1, max_value=9999).map(lambda n: D(n).scaleb(-2)),
    st.sampled_from(["1", "3", "7", "0.3", "0.07", "2.00"]).map(D),
)


@given(st.lists(st.tuples(weight, mark), min_size=1, max_size=6))
def test_average_is_the_exact_quotient_rounded_half_up_once(items):
    assessments = [
        AssessmentInfo(key=f"A{i}", ue="RSV206", kind=AssessmentKind.CC, weight=w)
        for i, (w, _) in enumerate(items)
    ]
    entries = {
        f"A{i}": GradeEntry(status=GradeStatus.GRADED, value=m) for i, (_, m) in enumerate(items)
    }
    r = ue_result(ue="RSV206", credits=3, assessments=assessments, entries=entries, pass_mark=D(10))
    assert r.average == expected_average(items)
    assert str(r.average) == str(expected_average(items))


def test_halves_of_a_hundredth_round_up_even_through_thirds():
    # 9.995 exactly (weights 1 and 2): 10.00; one ten-thousandth less: 9.99.
    assessments = [
        AssessmentInfo(key="A", ue="RSV206", kind=AssessmentKind.CC, weight=D(1)),
        AssessmentInfo(key="B", ue="RSV206", kind=AssessmentKind.CT, weight=D(2)),
    ]
    for a, b, average in (("9.99", "9.9975", "10.00"), ("9.99", "9.997", "9.99")):
        items = {"A": D(a), "B": D(b)}
        r = ue_result(
            ue="RSV206",
            credits=3,
            assessments=assessments,
            entries={k: GradeEntry(status=GradeStatus.GRADED, value=v) for k, v in items.items()},
            pass_mark=D(10),
        )
        assert str(r.average) == average
