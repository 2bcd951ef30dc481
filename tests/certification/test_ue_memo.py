"""``_compute`` remembers UE results for one cohort: the same result as ``ue_result`` for the
same inputs, and never one computed for other inputs."""

from decimal import Decimal

from certification.selectors import _memoised_ue_result
from grading.rules import AssessmentInfo, AssessmentKind, GradeEntry, GradeStatus, ue_result
from tests.grade_entries import graded

D = Decimal


def assessments(weight: str = "1") -> list[AssessmentInfo]:
    return [
        AssessmentInfo(key="CC", ue="RSV206", kind=AssessmentKind.CC, weight=D(weight)),
        AssessmentInfo(key="CT", ue="RSV206", kind=AssessmentKind.CT, weight=D(2)),
        AssessmentInfo(key="R", ue="RSV206", kind=AssessmentKind.CT, weight=D(2), makeup_of="CT"),
    ]


def test_same_inputs_give_the_same_result_computed_once():
    """Entries count by identity, as ``_entries`` shares one per status and value."""
    compute = _memoised_ue_result()
    infos = assessments()
    args = {"ue": "RSV206", "credits": 6, "assessments": infos, "pass_mark": D(10)}
    cc, ct = graded("12.00"), graded("9.50")
    first = compute(entries={"CC": cc, "CT": ct}, **args)
    again = compute(entries={"CT": ct, "CC": cc}, **args)
    assert again is first
    assert first == ue_result(entries={"CC": graded("12.00"), "CT": graded("9.50")}, **args)


def test_equal_entries_of_other_objects_give_an_equal_result():
    compute = _memoised_ue_result()
    args = {"ue": "RSV206", "credits": 6, "assessments": assessments(), "pass_mark": D(10)}
    first = compute(entries={"CC": graded("12.00"), "CT": graded("9.50")}, **args)
    other = compute(entries={"CC": graded("12.00"), "CT": graded("9.50")}, **args)
    assert other == first
    assert other.average == D("10.33")


def test_any_difference_in_the_inputs_is_a_different_result():
    compute = _memoised_ue_result()
    infos = assessments()
    entries = {"CC": graded("9.00"), "CT": graded("10.50")}  # 10.00 with weights 1 and 2
    base = compute(ue="RSV206", credits=6, assessments=infos, entries=entries, pass_mark=D(10))
    cases = [
        {"entries": {"CC": graded("9.00"), "CT": GradeEntry(status=GradeStatus.PLAGIARISM)}},
        {"entries": {"CC": graded("9.00")}},
        {"entries": {"CC": graded("9.00"), "CT": GradeEntry(GradeStatus.ABSENT_JUSTIFIED)}},
        {"credits": 3},
        {"pass_mark": D("10.01")},
        {"assessments": assessments(weight="2")},  # another list, other weights
    ]
    for change in cases:
        args = {
            "ue": "RSV206",
            "credits": 6,
            "assessments": infos,
            "entries": entries,
            "pass_mark": D(10),
            **change,
        }
        got = compute(**args)
        assert got == ue_result(**args), change
        assert got != base, change
