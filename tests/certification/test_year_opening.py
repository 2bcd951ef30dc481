"""« Ouvrir l'année suivante » (certification/year_opening.py): the preview, then one
transaction that copies settings, fees, UE with their texts and the assessments plan — never
an enrolment nor a grade."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.year_opening import year_open_next, year_opening_preview
from enrolment.catalogue import CatalogueError
from enrolment.freeze import FrozenError
from enrolment.models import UE, AuditEntry, Enrolment, ProgrammeYear
from grading.models import Assessment, Grade
from grading.services import assessments_copy
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    UEFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def source() -> ProgrammeYear:
    """CS2600A 2024-2025, deliberated: two UE with texts, a plan with a make-up, grades."""
    py = ProgrammeYearFactory(
        year="2024-2025",
        pass_mark=Decimal("10.5"),
        absence_threshold_pct=Decimal("17.5"),
        justified_absences_count=False,
        fees=Decimal("1200"),
        jury_planned_on=dt.date(2025, 7, 4),
    )
    rsv206 = UEFactory(
        programme_year=py,
        code="RSV206",
        credits=8,
        hours=60,
        syllabus="Contenu RSV206.",
        competences="Comprendre ;\nAgir.",
    )
    rsv207 = UEFactory(programme_year=py, code="RSV207", credits=4)
    cc = AssessmentFactory(ue=rsv206, key="RSV206-CC", kind="cc", date=dt.date(2025, 1, 13))
    ct = AssessmentFactory(
        ue=rsv206, key="RSV206-CT", weight=Decimal("2"), date=dt.date(2025, 5, 24), title="Écrit"
    )
    AssessmentFactory(ue=rsv206, key="RSV206-CT-R", date=dt.date(2025, 6, 21), makeup_of=ct)
    AssessmentFactory(ue=rsv207, key="RSV207-CT", date=dt.date(2025, 6, 7))
    enrolment = EnrolmentFactory(programme_year=py)
    enrolment.ues.set([rsv206, rsv207])
    GradeFactory(assessment=cc, enrolment=enrolment)
    ProgrammeYear.objects.filter(pk=py.pk).update(frozen_at=timezone.now())
    py.refresh_from_db()
    return py


def test_the_preview_names_the_new_year_and_shows_each_ue_with_its_plan(source):
    preview = year_opening_preview(source)
    assert preview.name == "2025-2026"
    assert preview.existing is None
    assert [u.ue.code for u in preview.ues] == ["RSV206", "RSV207"]
    assert [(a.assessment.key, a.new_date) for a in preview.ues[0].assessments] == [
        ("RSV206-CC", dt.date(2026, 1, 13)),
        ("RSV206-CT", dt.date(2026, 5, 24)),
        ("RSV206-CT-R", dt.date(2026, 6, 21)),
    ]
    assert (preview.credits, preview.n_assessments, preview.fees) == (12, 4, Decimal("1200.00"))
    assert not ProgrammeYear.objects.filter(year="2025-2026").exists()


def test_opening_copies_settings_fees_ue_texts_and_the_plan_but_no_grade(source):
    by = RegistrarFactory()
    grades, enrolments = Grade.objects.count(), Enrolment.objects.count()
    new = year_open_next(programme_year=source, by=by)
    new.refresh_from_db()
    assert (new.programme_id, new.year, new.opened_from) == (
        source.programme_id,
        "2025-2026",
        source,
    )
    assert (new.pass_mark, new.absence_threshold_pct, new.justified_absences_count) == (
        Decimal("10.50"),
        Decimal("17.50"),
        False,
    )
    assert new.fees == Decimal("1200.00")
    assert new.frozen_at is None
    assert new.jury_planned_on is None
    ues = {ue.code: ue for ue in UE.objects.filter(programme_year=new)}
    assert set(ues) == {"RSV206", "RSV207"}
    rsv206 = ues["RSV206"]
    assert (rsv206.credits, rsv206.hours, rsv206.syllabus, rsv206.competences) == (
        8,
        60,
        "Contenu RSV206.",
        "Comprendre ;\nAgir.",
    )
    copied = {a.key: a for a in Assessment.objects.filter(ue__programme_year=new)}
    assert set(copied) == {"RSV206-CC", "RSV206-CT", "RSV206-CT-R", "RSV207-CT"}
    assert copied["RSV206-CT"].ue == rsv206
    assert (copied["RSV206-CT"].weight, copied["RSV206-CT"].title) == (Decimal("2.00"), "Écrit")
    assert copied["RSV206-CT"].date == dt.date(2026, 5, 24)
    assert copied["RSV206-CT-R"].makeup_of == copied["RSV206-CT"]
    assert copied["RSV207-CT"].ue == ues["RSV207"]
    assert (Grade.objects.count(), Enrolment.objects.count()) == (grades, enrolments)
    assert not Grade.objects.filter(assessment__ue__programme_year=new).exists()
    # The source year is untouched.
    assert Assessment.objects.filter(ue__programme_year=source).count() == 4
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "by", "programme_year"))
    assert entries == [
        ("catalogue.year.open", by.pk, new.pk),
        ("catalogue.assessments.copy", by.pk, new.pk),
    ]
    assert AuditEntry.objects.get(action="catalogue.year.open").summary == (
        "Promotion CS2600A 2025-2026 ouverte à partir de 2024-2025 : réglages, frais et UE "
        "copiés (RSV206, RSV207)."
    )


def test_opening_twice_is_refused_and_changes_nothing(source):
    year_open_next(programme_year=source, by=None)
    before = (ProgrammeYear.objects.count(), UE.objects.count(), Assessment.objects.count())
    lines = AuditEntry.objects.count()
    with pytest.raises(CatalogueError) as refused:
        year_open_next(programme_year=source, by=None)
    assert refused.value.messages == ["La promotion CS2600A 2025-2026 existe déjà."]
    assert (ProgrammeYear.objects.count(), UE.objects.count(), Assessment.objects.count()) == before
    assert AuditEntry.objects.count() == lines
    assert year_opening_preview(source).existing == ProgrammeYear.objects.get(year="2025-2026")


def test_the_plan_is_never_copied_into_a_frozen_year_and_the_opening_rolls_back(source):
    target = ProgrammeYearFactory(programme=source.programme, year="2030-2031")
    ue = UEFactory(programme_year=target, code="RSV206")
    ProgrammeYear.objects.filter(pk=target.pk).update(frozen_at=timezone.now())
    old = UE.objects.get(programme_year=source, code="RSV206")
    with pytest.raises(FrozenError):
        assessments_copy(mapping={old.pk: ue.pk}, by=None)
    assert not Assessment.objects.filter(ue=ue).exists()
    assert not AuditEntry.objects.exists()


def test_a_29_february_assessment_moves_to_the_28th():
    py = ProgrammeYearFactory(year="2027-2028")
    ue = UEFactory(programme_year=py)
    AssessmentFactory(ue=ue, key="A", date=dt.date(2028, 2, 29))
    new = year_open_next(programme_year=py, by=None)
    assert Assessment.objects.get(ue__programme_year=new).date == dt.date(2029, 2, 28)


# ---- The page --------------------------------------------------------------------------------


def url(py: ProgrammeYear) -> str:
    return reverse("certification:registrar-year-open", args=[py.pk])


def test_only_the_registrar_previews_or_opens_a_year(client, source):
    student = Enrolment.objects.get(programme_year=source).student.user
    teacher = StaffFactory(ues=[UE.objects.get(programme_year=source, code="RSV206")])
    for user in (student, teacher):
        client.force_login(user)
        assert client.get(url(source)).status_code == 403
        assert client.post(url(source)).status_code == 403
    assert not ProgrammeYear.objects.filter(year="2025-2026").exists()
    client.logout()
    assert client.get(url(source)).status_code == 302


def test_the_page_previews_then_opens_and_lands_on_the_new_year(client, source):
    client.force_login(RegistrarFactory())
    page = client.get(url(source))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ouvrir CS2600A 2025-2026" in text
    assert "24 mai 2026" in text
    assert "rattrapage de RSV206-CT" in text
    assert "Ouvrir 2025-2026</button>" in text
    assert "1\u00a0200,00\u00a0€" in text
    assert not ProgrammeYear.objects.filter(year="2025-2026").exists()  # a GET writes nothing
    response = client.post(url(source), follow=True)
    new = ProgrammeYear.objects.get(year="2025-2026")
    assert response.redirect_chain == [
        (reverse("enrolment:registrar-catalogue-year", args=[new.pk]), 302)
    ]
    assert "Promotion CS2600A 2025-2026 ouverte" in response.content.decode()


def test_the_page_says_when_the_next_year_exists_and_a_post_is_refused(client, source):
    year_open_next(programme_year=source, by=None)
    client.force_login(RegistrarFactory())
    text = client.get(url(source)).content.decode()
    assert "La promotion CS2600A 2025-2026 existe déjà" in text
    assert "Ouvrir 2025-2026</button>" not in text  # no button to open it again
    response = client.post(url(source))
    assert response.status_code == 400
    assert "La promotion CS2600A 2025-2026 existe déjà." in response.content.decode()
    assert ProgrammeYear.objects.filter(year="2025-2026").count() == 1


def test_an_unknown_year_is_a_404(client):
    client.force_login(RegistrarFactory())
    assert (
        client.get(reverse("certification:registrar-year-open", args=[999999])).status_code == 404
    )
