"""The one list of status codes (grading/codes.py) and the hint built from it."""

import pytest

from grading import codes
from grading.rules import NOT_A_NUMBER, GradeInputError, GradeStatus, parse_grade

HINT = (
    "Saisissez une note de 0 à 20 (ex. 12,5) ou un code : ABS (absent), ABJ (absence "
    "justifiée), PLAGIAT."
)


def test_every_status_but_graded_has_exactly_one_code():
    assert set(codes.CODES) == set(GradeStatus) - {GradeStatus.GRADED}
    assert len(set(codes.CODES.values())) == len(codes.CODES)


@pytest.mark.parametrize(
    ("typed", "status"),
    [("ABS", "absent"), ("abj", "absent_justified"), (" Plagiat ", "plagiarism"), ("AB", None)],
)
def test_a_code_is_read_whatever_its_case_and_spaces(typed, status):
    assert codes.status_of(typed) == status


@pytest.mark.parametrize("typed", ["abc", "NaN", "=1+1", "1e1", "１２"])
def test_text_that_is_no_number_gets_the_hint_listing_the_codes(typed):
    with pytest.raises(GradeInputError) as excinfo:
        parse_grade(typed)
    assert excinfo.value.code == NOT_A_NUMBER
    assert codes.grade_error(excinfo.value) == HINT


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "La note doit être un nombre avec au plus deux décimales (ex. 12,5)."),
        ("20,5", "La note doit être comprise entre 0 et 20."),
        ("", "La note est obligatoire."),
    ],
)
def test_a_number_shaped_refusal_keeps_its_precise_message(typed, message):
    with pytest.raises(GradeInputError) as excinfo:
        parse_grade(typed)
    assert excinfo.value.code != NOT_A_NUMBER
    assert codes.grade_error(excinfo.value) == message
