"""The signing sheet (feuille d'émargement) of a session: content, pages and who may print it."""

import datetime as dt
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from attendance.models import Session
from enrolment.models import Enrolment
from tests.factories import (
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    SessionFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)
from tests.pdf_builders import pdf_text

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def _student(ue, last_name, first_name, number, **extra):
    user = UserFactory(username=f"eleve{number}", first_name=first_name, last_name=last_name)
    student = StudentFactory(user=user, number=number, **extra)
    return EnrolmentFactory(student=student, programme_year=ue.programme_year, ues=[ue])


@pytest.fixture
def world():
    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py, code="RSV206", title="Mutations de l'ESS")
    other_ue = UEFactory(programme_year=py, code="RSV207", title="Management de l'ESS")
    teacher = StaffFactory(first_name="Agnès", last_name="Roux", ues=[ue])
    other_teacher = StaffFactory(first_name="Paul", last_name="Benoît", ues=[other_ue])
    session = SessionFactory(
        ue=ue,
        key="S01",
        kind=Session.Kind.COURS,
        start=dt.datetime(2025, 10, 7, 9, 0, tzinfo=PARIS),
        end=dt.datetime(2025, 10, 7, 13, 0, tzinfo=PARIS),
        site=Session.Site.CONTE,
        room="31.1.12",
    )
    zola = _student(ue, "Zola", "Émile", "2400003")
    abel = _student(ue, "Abel", "Léa", "2400001", tiers_temps=True)
    gone = _student(ue, "Partie", "Inès", "2400002")
    gone.status = Enrolment.Status.WITHDRAWN
    gone.save()
    elsewhere = _student(other_ue, "Ailleurs", "Noé", "2400004")
    return {
        "ue": ue,
        "teacher": teacher,
        "other_teacher": other_teacher,
        "session": session,
        "students": [abel, zola],
        "withdrawn": gone,
        "elsewhere": elsewhere,
    }


def _url(session):
    return reverse("attendance:session-signing-sheet", kwargs={"session_id": session.pk})


def test_the_teacher_gets_a_pdf_with_the_session_and_every_student_of_the_ue(client, world):
    client.force_login(world["teacher"])
    response = client.get(_url(world["session"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert 'filename="emargement-rsv206-s01-2025-10-07.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "FEUILLE D'ÉMARGEMENT" in text.upper()
    assert "RSV206 — Mutations de l'ESS" in text
    assert "mardi 7 octobre 2025, 9 h 00 – 13 h 00" in text
    assert "accès 31, 1er étage, salle 12" in text
    assert "Agnès ROUX" in text
    assert "ABEL Léa 2400001" in text
    assert "ZOLA Émile 2400003" in text
    assert text.index("ABEL Léa") < text.index("ZOLA Émile")
    assert "PARTIE" not in text  # withdrawn
    assert "AILLEURS" not in text  # another UE
    assert "Signature de l'enseignant·e" in text
    assert "Page 1 / 1" in text
    # Tiers-temps is noted on an exam's sheet only.
    assert "Tiers-temps" not in text


def test_an_exam_sheet_notes_the_tiers_temps_with_its_end(client, world):
    exam = SessionFactory(
        ue=world["ue"],
        key="EX1",
        kind=Session.Kind.EXAMEN,
        start=dt.datetime(2026, 5, 20, 14, 0, tzinfo=PARIS),
        end=dt.datetime(2026, 5, 20, 15, 45, tzinfo=PARIS),
    )
    client.force_login(RegistrarFactory())
    response = client.get(_url(exam))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "mercredi 20 mai 2026" in text
    abel_row = text[text.index("ABEL Léa") : text.index("ZOLA Émile")]
    assert "2400001" in abel_row
    assert "Tiers-temps : fin à 16 h 20" in abel_row
    assert text.count("Tiers-temps") == 1


def test_the_registrar_gets_any_session(client, world):
    client.force_login(RegistrarFactory())
    assert client.get(_url(world["session"])).status_code == 200


def test_another_ue_teacher_gets_404_a_student_403_anonymous_the_sign_in(client, world):
    url = _url(world["session"])
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]
    client.force_login(world["other_teacher"])
    assert client.get(url).status_code == 404
    client.force_login(world["students"][0].student.user)
    assert client.get(url).status_code == 403
    client.force_login(world["teacher"])
    assert client.get(reverse("attendance:session-signing-sheet", args=[999999])).status_code == 404


def test_many_students_fill_several_pages_the_header_repeated_rows_whole(client, world):
    for i in range(45):
        _student(world["ue"], f"Nom{i:02d}", "Prénom", f"25{i:05d}")
    client.force_login(world["teacher"])
    response = client.get(_url(world["session"]))
    reader = PdfReader(BytesIO(response.content))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert "Nom, prénom N° d'élève Signature" in page
        assert f"Page {n} / {len(pages)}" in page
    everything = " ".join(pages)
    for i in range(45):
        # Each row whole on one page: the name and the number side by side.
        assert f"NOM{i:02d} Prénom 25{i:05d}" in everything
    assert "Signature de l'enseignant·e" in pages[-1]


def test_the_roll_page_links_to_the_sheet(client, world):
    client.force_login(world["teacher"])
    page = client.get(reverse("attendance:staff-roll", args=[world["session"].pk]))
    assert page.status_code == 200
    assert _url(world["session"]) in page.content.decode()
