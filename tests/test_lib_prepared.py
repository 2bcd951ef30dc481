"""lib/prepared.py: a read compiled once, run with new values, converted as the ORM would."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrolment.models import Enrolment
from lib.prepared import Prepared, columns, instance
from tests.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db

_ENROLMENT = Prepared(
    lambda enrolment_id: Enrolment.objects.filter(pk=enrolment_id).values_list(
        "pk", "fees_due", "created_at", "programme_year__year"
    )
)


def test_rows_match_the_orm_with_its_types_for_each_value():
    first = EnrolmentFactory(fees_due=Decimal("1200.50"))
    second = EnrolmentFactory(fees_due=Decimal("0"))
    for enrolment in (first, second):
        expected = list(
            Enrolment.objects.filter(pk=enrolment.pk).values_list(
                "pk", "fees_due", "created_at", "programme_year__year"
            )
        )
        rows = _ENROLMENT.rows(enrolment_id=enrolment.pk)
        assert rows == expected
        assert isinstance(rows[0][1], Decimal)
        assert isinstance(rows[0][2], dt.datetime)


def test_one_query_per_run_counted_by_the_test_tools():
    enrolment = EnrolmentFactory()
    _ENROLMENT.rows(enrolment_id=enrolment.pk)  # compiled on first use
    with CaptureQueriesContext(connection) as queries:
        _ENROLMENT.rows(enrolment_id=enrolment.pk)
    assert len(queries) == 1


def test_an_unknown_key_gives_no_row():
    assert _ENROLMENT.rows(enrolment_id=999_999) == []


def test_a_parameter_not_used_as_a_query_value_is_refused():
    unused = Prepared(lambda enrolment_id: Enrolment.objects.values_list("pk"))
    with pytest.raises(ValueError, match="query parameter"):
        unused.rows(enrolment_id=1)


def test_instance_builds_the_model_from_a_row_of_columns():
    enrolment = EnrolmentFactory(fees_due=Decimal("600"))
    (row,) = Enrolment.objects.filter(pk=enrolment.pk).values_list(*columns(Enrolment))
    built = instance(Enrolment, row)
    assert (built.pk, built.fees_due, built.programme_year_id) == (
        enrolment.pk,
        Decimal("600"),
        enrolment.programme_year_id,
    )
