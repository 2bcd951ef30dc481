"""``cohort_results``: a constant number of queries, and the same figures as the export."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certification.interchange import cohort_import, results_document, student_line
from certification.selectors import cohort_results, enrolment_result
from enrolment.models import ProgrammeYear
from tests.certification.cohort_docs import cohort, encode

pytestmark = pytest.mark.django_db

MAX_QUERIES = 9  # measured: 1 for the enrolments + 8 in results_for


def _cohort_of(size: int, code: str) -> ProgrammeYear:
    doc = cohort(students=size, code=code)
    for s in doc["students"]:
        s["number"] = f"{code}{s['number']}"
        s["email"] = f"{code.lower()}.{s['email']}"
    cohort_import(data=encode(doc), by=None)
    return ProgrammeYear.objects.get(programme__code=code)


def test_same_query_count_for_5_and_200_students(django_assert_max_num_queries):
    small, large = _cohort_of(5, "SMALL"), _cohort_of(200, "LARGE")
    counts = []
    for py, size in ((small, 5), (large, 200)):
        with (
            django_assert_max_num_queries(MAX_QUERIES),
            CaptureQueriesContext(connection) as queries,
        ):
            results = cohort_results(py)
        assert len(results) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_cohort_results_agree_with_the_export_and_with_one_by_one_results():
    py = _cohort_of(5, "AGREE")
    document = results_document(py)
    cohort = cohort_results(py)
    assert [s["number"] for s in document["students"]] == [
        item.enrolment.student.number for item in cohort
    ]
    for line, item in zip(document["students"], cohort, strict=True):
        alone = enrolment_result(item.enrolment, published_only=False)
        assert line == student_line(alone)
        assert line["credits"] == item.result.credits == 12
        # 30 min late on S01 (240 min) + absent on S02 (120 min) = 150 of 360 held minutes.
        assert line["absence_rate"] == "41.67"
        assert line["reasons"] == ["defaillant_absence"]
        assert [ue["average"] for ue in line["ues"]] == ["13.50", "10.00"]
