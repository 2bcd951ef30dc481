"""The registrar's journal page: every audit line, filtered by cohort and action family."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from enrolment.audit import record
from enrolment.journal import family_choices, journal_entries
from enrolment.models import AuditEntry
from tests.factories import (
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    UEFactory,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
URL = "enrolment:registrar-journal"


def _line(action, summary, *, year=None, by=None, at=None):
    entry = record(by=by, action=action, summary=summary, programme_year=year)
    if at is not None:
        AuditEntry.objects.filter(pk=entry.pk).update(at=at)
    return entry


def test_only_the_registrar_reads_the_journal(client):
    url = reverse(URL)
    assert client.get(url).status_code == 302
    client.force_login(EnrolmentFactory().student.user)
    assert client.get(url).status_code == 403
    client.force_login(StaffFactory(ues=[UEFactory()]))
    assert client.get(url).status_code == 403
    client.force_login(RegistrarFactory())
    assert client.get(url).status_code == 200


def test_a_line_shows_its_date_author_action_summary_and_cohort(client):
    registrar = RegistrarFactory(first_name="Claire", last_name="Dupont")
    year = ProgrammeYearFactory(year="2025-2026")
    _line(
        "staff.assignment.add",
        "Olivier MASSON affecté·e à RSV206",
        year=year,
        by=registrar,
        at=dt.datetime(2026, 11, 30, 14, 5, tzinfo=PARIS),
    )
    client.force_login(registrar)
    html = client.get(reverse(URL)).content.decode()
    assert "30 novembre 2026 à 14 h 05" in html
    assert "Claire Dupont" in html
    assert "Enseignants" in html
    assert "staff.assignment.add" in html
    assert "Olivier MASSON affecté·e à RSV206" in html
    assert "CS2600A 2025-2026" in html


def test_the_first_of_the_month_reads_1er_and_a_line_without_author_says_the_portal(client):
    _line("catalogue.ue.create", "UE RSV206 créée", at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=PARIS))
    client.force_login(RegistrarFactory())
    html = client.get(reverse(URL)).content.decode()
    assert "1er décembre 2026 à 9 h 00" in html
    assert "le portail" in html


def test_filters_by_cohort_and_by_family():
    old, new = ProgrammeYearFactory(year="2024-2025"), ProgrammeYearFactory(year="2025-2026")
    a = _line("staff.assignment.add", "a", year=new)
    b = _line("catalogue.ue.create", "b", year=new)
    c = _line("staff.assignment.remove", "c", year=old)
    d = _line("staffing.other", "d", year=new)  # another family, despite the prefix
    assert set(journal_entries(programme_year_id=new.pk)) == {a, b, d}
    assert set(journal_entries(family="staff")) == {a, c}
    assert list(journal_entries(programme_year_id=new.pk, family="staff")) == [a]
    assert family_choices() == [
        ("catalogue", "Catalogue"),
        ("staff", "Enseignants"),
        ("staffing", "staffing"),
    ]


def test_the_page_filters_and_keeps_the_filter_across_pages(client):
    year = ProgrammeYearFactory(year="2025-2026")
    for i in range(55):
        _line("staff.assignment.add", f"ligne {i:02d}", year=year)
    _line("catalogue.ue.create", "hors filtre", year=year)
    client.force_login(RegistrarFactory())
    response = client.get(reverse(URL), {"programme_year": year.pk, "family": "staff"})
    html = response.content.decode()
    assert "55 lignes" in html
    assert "hors filtre" not in html
    assert "ligne 54" in html  # the latest first
    assert f"programme_year={year.pk}&amp;family=staff&amp;page=2" in html
    page2 = client.get(
        reverse(URL), {"programme_year": year.pk, "family": "staff", "page": 2}
    ).content.decode()
    assert "ligne 00" in page2
    assert "ligne 54" not in page2


def test_an_unknown_filter_value_shows_everything_with_the_form_error(client):
    _line("staff.assignment.add", "visible")
    client.force_login(RegistrarFactory())
    response = client.get(reverse(URL), {"family": "inconnue", "programme_year": "x"})
    assert response.status_code == 200
    assert "visible" in response.content.decode()
