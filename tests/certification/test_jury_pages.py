"""The jury table at a large cohort's scale (issue 11): 100 students a page, filters by
decision, reason and UE kept across pages and sorts, the full list as CSV and XLSX, and a
number of queries that does not grow with the cohort."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.selectors import cohort_result_rows, cohort_results
from enrolment.models import Enrolment, Payment, StudentProfile, User
from grading.models import Grade
from tests.factories import AssessmentFactory, EnrolmentFactory, ProgrammeYearFactory, UEFactory

pytestmark = pytest.mark.django_db

FAILING_EVERY = 10  # students 3, 13, 23, … fail RSV207 (8.50 < 10)
UNPAID_EVERY = 25  # students 7, 32, 57, … owe 150 €


def big_cohort(n: int, *, year: str = "2024-2025", code: str = "CS2600A") -> dict:
    """``n`` students numbered ``24000000``… in number order, written in bulk."""
    from tests.factories import ProgrammeFactory

    py = ProgrammeYearFactory(programme=ProgrammeFactory(code=code), year=year)
    rsv206 = UEFactory(programme_year=py, code="RSV206", credits=8)
    rsv207 = UEFactory(programme_year=py, code="RSV207", credits=4)
    a206 = AssessmentFactory(ue=rsv206, key="RSV206-CT")
    a207 = AssessmentFactory(ue=rsv207, key="RSV207-CT")
    prefix = f"{py.pk:02d}"
    users = User.objects.bulk_create(
        [
            User(username=f"big{prefix}-{i}", email=f"big{prefix}-{i}@example.org", password="!")
            for i in range(n)
        ]
    )
    users = list(User.objects.filter(username__startswith=f"big{prefix}-"))
    users.sort(key=lambda u: int(u.username.rpartition("-")[2]))
    StudentProfile.objects.bulk_create(
        [
            StudentProfile(
                user=u,
                number=f"24{prefix}{i:04d}",
                last_name=f"Nom{i:04d}",
                first_name="Camille",
                birth_date="1990-01-01",
                email=u.email,
            )
            for i, u in enumerate(users)
        ]
    )
    students = list(StudentProfile.objects.filter(number__startswith=f"24{prefix}"))
    students.sort(key=lambda s: s.number)
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                student=s,
                programme_year=py,
                status="enrolled",
                fees_due=Decimal("150") if i % UNPAID_EVERY == 7 else Decimal("0"),
            )
            for i, s in enumerate(students)
        ]
    )
    enrolments = list(Enrolment.objects.filter(programme_year=py).select_related("student"))
    enrolments.sort(key=lambda e: e.student.number)
    Link = Enrolment.ues.through
    Link.objects.bulk_create(
        [Link(enrolment=e, ue=ue) for e in enrolments for ue in (rsv206, rsv207)]
    )
    grades = []
    for i, e in enumerate(enrolments):
        grades.append(
            Grade(
                assessment=a206, enrolment=e, status="graded", value=Decimal("14"), published=True
            )
        )
        value = Decimal("8.5") if i % FAILING_EVERY == 3 else Decimal("12")
        grades.append(
            Grade(assessment=a207, enrolment=e, status="graded", value=value, published=True)
        )
    Grade.objects.bulk_create(grades)
    return {"py": py, "enrolments": enrolments, "numbers": [e.student.number for e in enrolments]}


@pytest.fixture(scope="module")
def cohorts(module_transaction) -> dict[str, dict]:
    """Built once for the module, each year its own (``make_cohort`` takes 2024-2025): a
    cohort of 250 over three pages, and 120 beside 450 to count queries."""
    return {
        "250": big_cohort(250, year="2026-2027"),
        "120": big_cohort(120, year="2023-2024"),
        "450": big_cohort(450, year="2025-2026"),
    }


@pytest.fixture
def big(cohorts) -> dict:
    return cohorts["250"]


def _jury(client, py, **params):
    return client.get(reverse("certification:registrar-jury", args=[py.pk]), params)


def _numbers(response) -> list[str]:
    return [line.row.number for line in response.context["rows"]]


def _download(client, py, fmt, **params):
    return client.get(reverse("certification:registrar-jury-download", args=[py.pk, fmt]), params)


def test_the_jury_table_shows_100_students_a_page_with_a_french_pager(client, registrar, big):
    client.force_login(registrar)
    first = _jury(client, big["py"])
    assert _numbers(first) == big["numbers"][:100]
    html = first.content.decode()
    assert "Page 1 sur 3" in html
    assert '<nav aria-label="Pages du tableau du jury"' in html
    assert 'href="?page=2" aria-current="page"' not in html
    assert re.search(r'<a class="page-link" href="\?page=1" aria-current="page">', html)
    assert '<a class="page-link" href="?page=2" rel="next">Suivante</a>' in html
    second = _jury(client, big["py"], page="2")
    assert _numbers(second) == big["numbers"][100:200]
    assert "Page 2 sur 3" in second.content.decode()
    assert 'href="?page=1" rel="prev"' in second.content.decode()
    # The whole cohort is still counted, out of sight included.
    assert "250 élèves" in html
    # Beyond the last page: the last one; not a number: the first one.
    assert _numbers(_jury(client, big["py"], page="99")) == big["numbers"][200:]
    assert _numbers(_jury(client, big["py"], page="deux")) == big["numbers"][:100]


def test_a_small_cohort_has_no_pager(client, cohort, registrar):
    client.force_login(registrar)
    html = _jury(client, cohort["py"]).content.decode()
    assert "Pages du tableau du jury" not in html


def test_filters_and_sort_are_kept_across_pages_and_sorts(client, registrar, big):
    client.force_login(registrar)
    r = _jury(client, big["py"], decision="admis", ue="RSV206", sort="-name", page="2")
    admis = [n for i, n in enumerate(big["numbers"]) if i % FAILING_EVERY != 3]
    assert _numbers(r) == sorted(admis, reverse=True)[100:200]
    html = r.content.decode()
    assert 'href="?decision=admis&amp;ue=RSV206&amp;sort=-name&amp;page=3" rel="next"' in html
    assert 'href="?decision=admis&amp;ue=RSV206&amp;sort=-name&amp;page=1" rel="prev"' in html
    # A sort link keeps the filters and goes back to the first page.
    assert 'href="?decision=admis&amp;ue=RSV206&amp;sort=name"' in html
    assert "225 élèves sur 250" in html


def test_the_jury_table_filters_by_reason(client, registrar, big):
    client.force_login(registrar)
    numbers = big["numbers"]
    failing = [n for i, n in enumerate(numbers) if i % FAILING_EVERY == 3]
    unpaid = [n for i, n in enumerate(numbers) if i % UNPAID_EVERY == 7]
    assert _numbers(_jury(client, big["py"], reason="ue_failed")) == failing
    assert _numbers(_jury(client, big["py"], reason="fees_unpaid")) == unpaid
    # Paid in full since: off the list, as in the results' reasons.
    Payment.objects.create(enrolment=big["enrolments"][7], date="2025-01-10", amount="150")
    shown = _numbers(_jury(client, big["py"], reason="fees_unpaid"))
    assert shown == unpaid[1:]
    assert shown == [
        r.number for r in cohort_result_rows(big["py"]) if "fees_unpaid" in r.result.reason_codes
    ]
    assert _numbers(_jury(client, big["py"], reason="defaillant_absence")) == []
    # A reason about a UE, with that UE chosen: only failures of that UE.
    assert _numbers(_jury(client, big["py"], reason="ue_failed", ue="RSV207")) == failing
    assert _numbers(_jury(client, big["py"], reason="ue_failed", ue="RSV206")) == []
    html = _jury(client, big["py"]).content.decode()
    assert '<select name="reason"' in html and '<option value="fees_unpaid">' in html


def test_the_jury_table_filters_by_ue(client, registrar):
    big = big_cohort(30)
    client.force_login(registrar)
    elsewhere = big["enrolments"][5]
    elsewhere.ues.remove(elsewhere.ues.get(code="RSV207"))
    followers = [n for n in big["numbers"] if n != elsewhere.student.number]
    assert _numbers(_jury(client, big["py"], ue="RSV207")) == followers
    assert _numbers(_jury(client, big["py"], ue="RSV206")) == big["numbers"]
    # An unknown UE is ignored like any unknown value: everyone is shown.
    assert _numbers(_jury(client, big["py"], ue="NOPE")) == big["numbers"]
    html = _jury(client, big["py"]).content.decode()
    assert '<option value="RSV207">RSV207</option>' in html


def test_the_jury_table_filters_by_decision_across_the_whole_cohort(client, registrar, big):
    client.force_login(registrar)
    failing = [n for i, n in enumerate(big["numbers"]) if i % FAILING_EVERY == 3]
    r = _jury(client, big["py"], decision="ajourne")
    assert _numbers(r) == failing
    assert "25 élèves sur 250" in r.content.decode()


def test_a_student_beyond_the_first_page_is_reachable_by_filter(client, registrar, big):
    client.force_login(registrar)
    far = big["numbers"][243]  # 243 % 10 == 3: fails RSV207, on page 3
    assert far not in _numbers(_jury(client, big["py"]))
    assert _numbers(_jury(client, big["py"], q=far)) == [far]
    assert far in _numbers(_jury(client, big["py"], decision="ajourne"))
    assert _numbers(_jury(client, big["py"], sort="ue:RSV207"))[0] == big["numbers"][3]
    html = _jury(client, big["py"], q=far).content.decode()
    assert "RSV207 : moyenne 8,50 &lt; 10" in html


def test_the_full_list_downloads_as_csv_with_the_filters_and_no_formula(client, registrar, big):
    StudentProfile.objects.filter(number=big["numbers"][3]).update(
        last_name='=HYPERLINK("http://evil.example","clic")', first_name="+33 1 40"
    )
    client.force_login(registrar)
    r = _download(client, big["py"], "csv")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"].startswith('attachment; filename="jury-cs2600a-2026-2027.csv"')
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    header, body = lines[0], lines[1:]
    assert header[:5] == ["N° d'élève", "Nom", "Prénom", "RSV206 moyenne", "RSV206 statut"]
    assert len(body) == 250  # every student, not a page
    by_number = {line[0]: dict(zip(header, line, strict=True)) for line in body}
    evil = by_number[big["numbers"][3]]
    assert evil["Nom"] == '\'=HYPERLINK("http://evil.example","clic")'
    assert evil["Prénom"] == "'+33 1 40"
    assert evil["RSV207 moyenne"] == "8.50" and evil["RSV207 statut"] == "non validée"
    assert evil["Proposition (notes actuelles)"] == "ajourné"
    assert "RSV207 : moyenne 8,50 < 10" in evil["Motifs"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in body for cell in line)
    # The filters of the page apply to the download.
    filtered = _download(client, big["py"], "csv", decision="ajourne").content.decode()
    rows = list(csv.reader(io.StringIO(filtered.removeprefix("\ufeff")), delimiter=";"))[1:]
    assert [line[0] for line in rows] == [
        n for i, n in enumerate(big["numbers"]) if i % FAILING_EVERY == 3
    ]


def test_the_full_list_downloads_as_xlsx_with_numbers_and_no_formula(client, registrar, big):
    StudentProfile.objects.filter(number=big["numbers"][0]).update(last_name="=1+1")
    client.force_login(registrar)
    r = _download(client, big["py"], "xlsx")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 251
    header = values[0]
    first = dict(zip(header, values[1], strict=True))
    assert first["N° d'élève"] == big["numbers"][0]
    assert first["Nom"] == "'=1+1"
    assert first["RSV206 moyenne"] == 14.0 and first["Crédits"] == 12
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_a_download_in_another_format_is_not_found(client, cohort, registrar):
    client.force_login(registrar)
    assert _download(client, cohort["py"], "pdf").status_code == 404


def test_students_cannot_download_the_jury_table(client, cohort):
    client.force_login(cohort["enrolments"][0].student.user)
    assert _download(client, cohort["py"], "csv").status_code == 403


@pytest.mark.parametrize(
    "params",
    [{}, {"page": "2"}, {"decision": "ajourne"}, {"reason": "fees_unpaid", "ue": "RSV207"}],
    ids=["first-page", "page-2", "decision", "reason-and-ue"],
)
def test_the_jury_page_query_count_does_not_grow_with_the_cohort(
    client, registrar, cohorts, params
):
    small, large = cohorts["120"], cohorts["450"]
    client.force_login(registrar)
    _jury(client, small["py"], **params)  # warm up (session, permissions)
    counts = []
    for py in (small["py"], large["py"]):
        with CaptureQueriesContext(connection) as queries:
            r = _jury(client, py, **params)
        assert r.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_download_query_count_does_not_grow_with_the_cohort(client, registrar, cohorts):
    small, large = cohorts["120"], cohorts["450"]
    client.force_login(registrar)
    _download(client, small["py"], "csv")
    counts = []
    for py in (small["py"], large["py"]):
        with CaptureQueriesContext(connection) as queries:
            _download(client, py, "xlsx")
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_bulk_rows_are_the_cohort_results(big):
    rows = cohort_result_rows(big["py"])
    results = cohort_results(big["py"])
    assert [r.enrolment_id for r in rows] == [er.enrolment.pk for er in results]
    assert [r.result for r in rows] == [er.result for er in results]
    assert [r.number for r in rows] == big["numbers"]
    page = cohort_result_rows(big["py"], enrolment_ids=[big["enrolments"][7].pk])
    assert [r.result for r in page] == [results[7].result]


def test_an_absence_in_one_ue_beside_a_ue_without_sessions(client, registrar):
    """A roll line in RSV206 while RSV207 has no session at all: same figures either way."""
    from attendance.models import Attendance
    from certification.selectors import enrolment_result
    from tests.factories import SessionFactory

    big = big_cohort(3)
    rsv206 = big["py"].ues.get(code="RSV206")
    session = SessionFactory(ue=rsv206)
    marked = big["enrolments"][1]
    Attendance.objects.create(session=session, enrolment=marked, presence="absent")
    client.force_login(registrar)
    assert _jury(client, big["py"]).status_code == 200
    row = cohort_result_rows(big["py"], enrolment_ids=[marked.pk])[0]
    assert row.result == enrolment_result(marked, published_only=False).result
    assert row.result.absence.missed_minutes == session.minutes


def test_the_ue_filter_offers_only_the_ue_a_student_of_the_cohort_follows(client, registrar):
    big = big_cohort(3)
    py = big["py"]
    UEFactory(programme_year=py, code="RSV299")  # followed by nobody
    followed_by_a_withdrawn_student = UEFactory(programme_year=py, code="RSV298")
    EnrolmentFactory(programme_year=py, withdrawn=True, ues=[followed_by_a_withdrawn_student])
    client.force_login(registrar)
    response = _jury(client, py)
    assert response.context["ue_codes"] == ["RSV206", "RSV207"]
    offered = [value for value, _label in response.context["filter_form"].fields["ue"].choices]
    assert offered == ["", "RSV206", "RSV207"]
