"""Fees and the enrolment state machine (RULES.md §3), without a database."""

from decimal import Decimal

import pytest

from enrolment.rules import (
    ALLOWED_TRANSITIONS,
    EnrolmentStatus,
    check_transition,
    enrolment_certificate_available,
    fees_balance,
    format_euros,
    is_paid_in_full,
)

D = Decimal
S = EnrolmentStatus

ALLOWED = {
    (S.PENDING, S.ENROLLED),
    (S.PENDING, S.WITHDRAWN),
    (S.ENROLLED, S.WITHDRAWN),
    (S.ENROLLED, S.COMPLETED),
}


@pytest.mark.parametrize(
    ("due", "payments", "balance", "paid"),
    [
        ("1200.00", [], "1200.00", False),
        ("1200.00", ["600.00"], "600.00", False),
        ("1200.00", ["600.00", "600.00"], "0.00", True),
        ("1200.00", ["1000.00", "350.00"], "-150.00", True),  # overpaid: in the student's favour
        ("1200.00", ["1200.00", "-150.00"], "150.00", False),  # a refund is a negative payment
        ("1200.00", ["1199.99"], "0.01", False),
        ("0.00", [], "0.00", True),
        ("0", ["0.10", "0.20"], "-0.30", True),  # no binary-float drift
        ("1200", ["600.005", "599.995"], "0.000", True),
    ],
)
def test_fees_balance_and_paid_in_full(due, payments, balance, paid):
    amounts = [D(p) for p in payments]
    assert fees_balance(due=D(due), payments=amounts) == D(balance)
    assert is_paid_in_full(due=D(due), payments=amounts) is paid


def test_payments_may_be_any_iterable_consumed_once():
    assert fees_balance(due=D("100"), payments=(D(x) for x in ("30", "20"))) == D("50")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1200"), "1\xa0200,00\xa0€"),
        (D("150"), "150,00\xa0€"),
        (D("0"), "0,00\xa0€"),
        (D("-0.00"), "0,00\xa0€"),
        (D("-150.5"), "-150,50\xa0€"),
        (D("1234567.891"), "1\xa0234\xa0567,89\xa0€"),
        (D("0.005"), "0,01\xa0€"),
    ],
)
def test_format_euros_is_french(value, text):
    assert format_euros(value) == text


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_enrolment_transitions_follow_the_booklet_path(current, target):
    allowed, reason = check_transition(current=current, target=target)
    assert allowed is ((current, target) in ALLOWED)
    assert (reason == "") is allowed  # a refusal always says why, in French
    assert (target in ALLOWED_TRANSITIONS[current]) is allowed


def test_refusing_the_same_state_says_it_is_already_there():
    allowed, reason = check_transition(current=S.ENROLLED, target=S.ENROLLED)
    assert not allowed
    assert "déjà" in reason


def test_a_completed_enrolment_never_changes_again():
    allowed, reason = check_transition(current=S.COMPLETED, target=S.ENROLLED)
    assert not allowed
    assert "ne peut plus" in reason


@pytest.mark.parametrize(
    ("status", "available"),
    [(S.PENDING, False), (S.ENROLLED, True), (S.WITHDRAWN, False), (S.COMPLETED, True)],
)
def test_certificat_de_scolarite_only_while_enrolled_or_completed(status, available):
    assert enrolment_certificate_available(status=status) is available
