"""The jury page, the student's pages and export_results show the same results (demo data).

One implementation of the rules: if any of them recomputed an average, a rate or a reason
on its own, some student of the demo cohort (which covers every case) would disagree.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from certification.reasons import reason_texts
from enrolment.models import Enrolment, ProgrammeYear
from grading.models import Assessment
from grading.services import assessment_publish
from tests.factories import RegistrarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_year(demo_database):
    year = ProgrammeYear.objects.get(programme__code="CS2600A", year="2024-2025")
    # Students see published grades only: publish everything so all three read the same data.
    for assessment in Assessment.objects.filter(ue__programme_year=year):
        assessment_publish(assessment=assessment, by=None)
    return year


def test_jury_student_page_and_export_agree_for_every_demo_student(client, demo_year):
    out = StringIO()
    call_command("export_results", "CS2600A", "2024-2025", "--format", "json", stdout=out)
    exported = {s["number"]: s for s in json.loads(out.getvalue())["students"]}

    client.force_login(RegistrarFactory())
    jury = client.get(reverse("certification:registrar-jury", args=[demo_year.pk]))
    rows = {row.number: row for row, _decision, _certificate in jury.context["rows"]}
    assert set(rows) == set(exported)
    assert {s["eligible"] for s in exported.values()} == {True, False}

    for enrolment in Enrolment.objects.filter(programme_year=demo_year).select_related(
        "student__user"
    ):
        number = enrolment.student.number
        line, row = exported[number], rows[number]
        assert row.eligible == line["eligible"], number
        assert row.credits == line["credits"], number
        assert row.defaillant == line["defaillant"], number
        assert [(c.code, c.status, c.credits) for c in row.ues] == [
            (u["code"], u["status"], u["credits"]) for u in line["ues"]
        ], number

        client.force_login(enrolment.student.user)
        page = client.get(reverse("certification:student-certification"))
        seen = page.context["result"]
        assert seen.reason_codes == line["reasons"], number
        assert reason_texts(seen.reasons) == row.reasons, number
        assert f"{seen.absence.rate_display:.2f}" == line["absence_rate"], number
        assert [None if u.average is None else f"{u.average:.2f}" for u in seen.ues] == [
            u["average"] for u in line["ues"]
        ], number
        for message in row.reasons:
            assert escape(message) in page.content.decode(), (number, message)
