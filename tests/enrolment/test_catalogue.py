"""The catalogue (enrolment/catalogue.py and its registrar pages): programmes, years, UE.

The rules live in the service: uniqueness with a French message, the year's format, the
figures' bounds, the jury freeze (RULES.md §7b), one journal line per write, nothing written
on a refusal; the pages and the admin only call it.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment.catalogue import (
    CatalogueError,
    competence_lines,
    next_year,
    programme_save,
    programme_year_save,
    ue_save,
    year_is_valid,
)
from enrolment.freeze import FrozenError
from enrolment.models import UE, AuditEntry, Programme, ProgrammeYear
from tests.factories import (
    EnrolmentFactory,
    ProgrammeFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RULES_REFUSAL = (
    "Le jury de cette promotion a délibéré : la note de validation, le seuil d'absence, la prise "
    "en compte des absences justifiées, les UE et leurs crédits ne peuvent plus être modifiés."
)


def freeze(py: ProgrammeYear) -> None:
    ProgrammeYear.objects.filter(pk=py.pk).update(frozen_at=timezone.now())
    py.refresh_from_db()


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


# ---- Pure helpers -------------------------------------------------------------------------


def test_a_year_is_two_following_years_and_the_next_one_follows():
    assert year_is_valid("2025-2026")
    assert not year_is_valid("2025-2027")
    assert not year_is_valid("2025/2026")
    assert not year_is_valid(" 2025-2026x")
    assert next_year("2024-2025") == "2025-2026"


def test_competences_are_read_one_per_line_without_bullets_or_blank_lines():
    text = "- Savoir analyser ;\n\n• Savoir communiquer.\r\n  Troisième  \n"
    assert competence_lines(text) == ["Savoir analyser ;", "Savoir communiquer.", "Troisième"]


# ---- Programmes -----------------------------------------------------------------------------


def test_a_programme_is_created_with_its_code_in_capitals_and_a_journal_line():
    by = RegistrarFactory()
    programme = programme_save(
        programme=Programme(code=" cs2700b ", title="Certificat B", level="Bac+3"), by=by
    )
    assert programme.code == "CS2700B"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.by) == ("catalogue.programme.create", by)
    assert entry.summary == "Programme CS2700B créé : Certificat B."


def test_a_programme_code_taken_in_any_case_is_refused_in_french_and_nothing_is_written():
    ProgrammeFactory(code="CS2600A")
    with pytest.raises(CatalogueError) as refused:
        programme_save(programme=Programme(code="cs2600a", title="Autre"), by=None)
    assert refused.value.message_dict == {"code": ["Un programme de code « CS2600A » existe déjà."]}
    assert Programme.objects.count() == 1
    assert actions() == []


def test_an_unchanged_programme_writes_no_journal_line():
    programme = ProgrammeFactory()
    programme_save(programme=Programme.objects.get(pk=programme.pk), by=None)
    assert actions() == []


# ---- Programme years ------------------------------------------------------------------------


def year(programme: Programme, name: str = "2025-2026", **values: object) -> ProgrammeYear:
    defaults: dict[str, object] = {
        "pass_mark": Decimal("10"),
        "absence_threshold_pct": Decimal("20"),
        "justified_absences_count": True,
        "fees": Decimal("1200"),
    }
    return ProgrammeYear(programme=programme, year=name, **(defaults | values))


def test_a_year_is_created_with_its_settings_and_fees_and_a_journal_line():
    programme = ProgrammeFactory()
    py = programme_year_save(programme_year=year(programme), by=None)
    py.refresh_from_db()
    assert (py.year, py.fees, py.frozen_at, py.opened_from) == (
        "2025-2026",
        Decimal("1200.00"),
        None,
        None,
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.programme_year) == ("catalogue.year.create", py)
    assert entry.summary == "Promotion CS2600A 2025-2026 créée."


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"name": "2025-2027"},
            "year",
            "L'année universitaire s'écrit avec deux années qui se suivent, par exemple "
            "« 2025-2026 ».",
        ),
        (
            {"pass_mark": Decimal("21")},
            "pass_mark",
            "La note de validation est comprise entre 0 et 20.",
        ),
        (
            {"absence_threshold_pct": Decimal("101")},
            "absence_threshold_pct",
            "Le seuil d'absence est un pourcentage compris entre 0 et 100.",
        ),
        ({"fees": Decimal("-1")}, "fees", "Les frais d'inscription ne peuvent pas être négatifs."),
    ],
)
def test_a_year_with_a_bad_value_is_refused_in_french(values, field, message):
    programme = ProgrammeFactory()
    with pytest.raises(CatalogueError) as refused:
        programme_year_save(programme_year=year(programme, **values), by=None)
    assert refused.value.message_dict == {field: [message]}
    assert not ProgrammeYear.objects.exists()
    assert actions() == []


def test_a_second_year_of_the_same_name_in_a_programme_is_refused():
    existing = ProgrammeYearFactory(year="2025-2026")
    with pytest.raises(CatalogueError) as refused:
        programme_year_save(programme_year=year(existing.programme), by=None)
    assert refused.value.message_dict == {"year": ["La promotion CS2600A 2025-2026 existe déjà."]}
    assert ProgrammeYear.objects.count() == 1


def test_a_frozen_year_refuses_its_rules_and_its_name_but_takes_new_fees():
    py = ProgrammeYearFactory(year="2024-2025", fees=Decimal("1000"))
    freeze(py)
    for field, value in (
        ("pass_mark", Decimal("12")),
        ("absence_threshold_pct", Decimal("25")),
        ("justified_absences_count", False),
    ):
        changed = ProgrammeYear.objects.get(pk=py.pk)
        setattr(changed, field, value)
        with pytest.raises(FrozenError) as refused:
            programme_year_save(programme_year=changed, by=None)
        assert refused.value.messages == [RULES_REFUSAL]
    renamed = ProgrammeYear.objects.get(pk=py.pk)
    renamed.year = "2030-2031"
    with pytest.raises(FrozenError):
        programme_year_save(programme_year=renamed, by=None)
    assert actions() == []
    fees = ProgrammeYear.objects.get(pk=py.pk)
    fees.fees = Decimal("1300")
    programme_year_save(programme_year=fees, by=None)
    py.refresh_from_db()
    assert (py.fees, py.pass_mark, py.year) == (Decimal("1300.00"), Decimal("10.00"), "2024-2025")
    assert py.frozen_at is not None
    assert AuditEntry.objects.get().summary == (
        "Promotion CS2600A 2024-2025 modifiée : frais d'inscription."
    )


def test_a_stale_instance_never_unfreezes_a_year():
    py = ProgrammeYearFactory()
    stale = ProgrammeYear.objects.get(pk=py.pk)
    freeze(py)
    stale.fees = Decimal("900")
    programme_year_save(programme_year=stale, by=None)
    py.refresh_from_db()
    assert py.frozen_at is not None
    assert py.fees == Decimal("900.00")


# ---- UE -------------------------------------------------------------------------------------


def new_ue(py: ProgrammeYear, code: str = "RSV208", credits: int = 4, **values: object) -> UE:
    return UE(programme_year=py, code=code, title=f"UE {code}", credits=credits, **values)


def test_a_ue_is_created_with_its_texts_and_a_journal_line():
    py = ProgrammeYearFactory()
    ue = ue_save(
        ue=new_ue(py, code="rsv208", hours=40, syllabus="Contenu.", competences="A\nB"), by=None
    )
    ue.refresh_from_db()
    assert (ue.code, ue.hours, ue.syllabus, ue.competences) == ("RSV208", 40, "Contenu.", "A\nB")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.programme_year) == ("catalogue.ue.create", py)
    assert entry.summary == "UE RSV208 créée en CS2600A 2024-2025 (4 ECTS)."


def test_a_ue_code_taken_in_the_year_is_refused_but_free_in_another_year():
    py = ProgrammeYearFactory()
    UEFactory(programme_year=py, code="RSV206")
    with pytest.raises(CatalogueError) as refused:
        ue_save(ue=new_ue(py, code="rsv206"), by=None)
    assert refused.value.message_dict == {
        "code": ["L'UE « RSV206 » existe déjà dans la promotion CS2600A 2024-2025."]
    }
    other = ProgrammeYearFactory(programme=py.programme, year="2025-2026")
    ue_save(ue=new_ue(other, code="RSV206"), by=None)
    assert UE.objects.filter(code="RSV206").count() == 2


@pytest.mark.parametrize("credits", [0, 61])
def test_a_ue_credits_out_of_bounds_are_refused(credits):
    py = ProgrammeYearFactory()
    with pytest.raises(CatalogueError) as refused:
        ue_save(ue=new_ue(py, credits=credits), by=None)
    assert refused.value.message_dict == {"credits": ["Une UE vaut de 1 à 60 crédits ECTS."]}
    assert not UE.objects.exists()


def test_a_frozen_year_takes_no_new_ue_and_keeps_codes_and_credits_but_not_texts():
    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py, code="RSV206", credits=8)
    freeze(py)
    with pytest.raises(FrozenError) as refused:
        ue_save(ue=new_ue(py), by=None)
    assert refused.value.messages == [
        "Le jury de cette promotion a délibéré : aucune UE ne peut plus y être ajoutée ni déplacée."
    ]
    for field, value in (("credits", 6), ("code", "RSV299")):
        changed = UE.objects.get(pk=ue.pk)
        setattr(changed, field, value)
        with pytest.raises(FrozenError) as refused:
            ue_save(ue=changed, by=None)
        assert refused.value.messages == [RULES_REFUSAL]
    moved = UE.objects.get(pk=ue.pk)
    moved.programme_year = ProgrammeYearFactory(programme=py.programme, year="2030-2031")
    with pytest.raises(FrozenError):
        ue_save(ue=moved, by=None)
    assert actions() == []
    texts = UE.objects.get(pk=ue.pk)
    texts.syllabus, texts.hours = "Nouveau contenu.", 30
    ue_save(ue=texts, by=None)
    ue.refresh_from_db()
    assert (ue.credits, ue.code, ue.syllabus, ue.hours) == (8, "RSV206", "Nouveau contenu.", 30)
    assert AuditEntry.objects.get().summary == (
        "UE RSV206 de CS2600A 2024-2025 modifiée : volume horaire, contenu de la formation."
    )


# ---- Pages ----------------------------------------------------------------------------------


def routes() -> list[tuple[str, list[int]]]:
    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py)
    return [
        ("enrolment:registrar-catalogue", []),
        ("enrolment:registrar-catalogue-programme-create", []),
        ("enrolment:registrar-catalogue-programme-edit", [py.programme_id]),
        ("enrolment:registrar-catalogue-year-create", [py.programme_id]),
        ("enrolment:registrar-catalogue-year", [py.pk]),
        ("enrolment:registrar-catalogue-year-edit", [py.pk]),
        ("enrolment:registrar-catalogue-ue-create", [py.pk]),
        ("enrolment:registrar-catalogue-ue-edit", [ue.pk]),
    ]


def test_only_the_registrar_opens_the_catalogue_pages(client):
    student = EnrolmentFactory().student.user
    teacher = StaffFactory(ues=[UEFactory(programme_year=ProgrammeYearFactory(year="2020-2021"))])
    registrar = RegistrarFactory()
    for name, args in routes():
        url = reverse(name, args=args)
        client.logout()
        assert client.get(url).status_code == 302, name
        for user in (student, teacher, UserFactory()):
            client.force_login(user)
            assert client.get(url).status_code == 403, name
            assert client.post(url, {"code": "X"}).status_code == 403, name
        client.force_login(registrar)
        assert client.get(url).status_code == 200, name


def test_the_catalogue_lists_each_year_with_its_settings_ue_and_credits(client):
    py = ProgrammeYearFactory(fees=Decimal("1200"), absence_threshold_pct=Decimal("17.5"))
    UEFactory(programme_year=py, credits=8)
    UEFactory(programme_year=py, credits=4)
    freeze(py)
    client.force_login(RegistrarFactory())
    page = client.get(reverse("enrolment:registrar-catalogue")).content.decode()
    assert "CS2600A — Certificat de spécialisation Innovations sociales – ESS" in page
    assert "1\u00a0200,00\u00a0€" in page
    assert "17,5&nbsp;%" in page
    assert "Figée" in page
    assert '<td class="num">12</td>' in page


def test_the_registrar_creates_a_year_then_a_ue_from_the_pages(client):
    by = RegistrarFactory()
    programme = ProgrammeFactory()
    client.force_login(by)
    response = client.post(
        reverse("enrolment:registrar-catalogue-year-create", args=[programme.pk]),
        {
            "year": "2025-2026",
            "pass_mark": "10,5",
            "absence_threshold_pct": "20",
            "justified_absences_count": "on",
            "fees": "1 200,50",
        },
    )
    py = ProgrammeYear.objects.get(year="2025-2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("enrolment:registrar-catalogue-year", args=[py.pk])
    assert (py.pass_mark, py.fees) == (Decimal("10.50"), Decimal("1200.50"))
    response = client.post(
        reverse("enrolment:registrar-catalogue-ue-create", args=[py.pk]),
        {
            "code": "RSV206",
            "title": "Économie sociale et solidaire",
            "credits": "8",
            "hours": "",
            "syllabus": "Premier paragraphe.\r\n\r\nSecond.",
            "competences": "Comprendre ;\r\nAgir.",
        },
    )
    assert response.status_code == 302
    ue = UE.objects.get(programme_year=py)
    assert (ue.code, ue.credits, ue.hours) == ("RSV206", 8, None)
    assert actions() == ["catalogue.year.create", "catalogue.ue.create"]
    assert set(AuditEntry.objects.values_list("by", flat=True)) == {by.pk}
    page = client.get(response["Location"]).content.decode()
    assert "RSV206" in page
    assert 'type="number"' not in page


def test_a_duplicate_ue_code_shows_the_message_on_the_field_and_writes_nothing(client):
    py = ProgrammeYearFactory()
    UEFactory(programme_year=py, code="RSV206")
    client.force_login(RegistrarFactory())
    response = client.post(
        reverse("enrolment:registrar-catalogue-ue-create", args=[py.pk]),
        {"code": "RSV206", "title": "Doublon", "credits": "4"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["L'UE « RSV206 » existe déjà dans la promotion CS2600A 2024-2025."]
    }
    assert UE.objects.count() == 1
    assert actions() == []


def test_the_forms_of_a_frozen_year_show_the_frozen_fields_disabled_and_keep_them(client):
    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py, code="RSV206", credits=8)
    freeze(py)
    client.force_login(RegistrarFactory())
    url = reverse("enrolment:registrar-catalogue-ue-edit", args=[ue.pk])
    page = client.get(url).content.decode()
    assert "Figé : le jury de cette promotion a délibéré." in page
    response = client.post(
        url, {"code": "RSV299", "title": "Nouveau titre", "credits": "2", "syllabus": "Texte."}
    )
    assert response.status_code == 302
    ue.refresh_from_db()
    assert (ue.code, ue.credits, ue.title, ue.syllabus) == ("RSV206", 8, "Nouveau titre", "Texte.")
    year_page = client.get(reverse("enrolment:registrar-catalogue-year", args=[py.pk]))
    assert "Ajouter une UE" not in year_page.content.decode()
    assert (
        client.get(reverse("enrolment:registrar-catalogue-ue-create", args=[py.pk])).status_code
        == 200
    )
    response = client.post(
        reverse("enrolment:registrar-catalogue-ue-create", args=[py.pk]),
        {"code": "RSV300", "title": "Nouvelle", "credits": "3"},
    )
    assert response.status_code == 200
    assert "aucune UE ne peut plus y être ajoutée" in response.content.decode()
    assert UE.objects.count() == 1


def test_the_student_sees_the_syllabus_hours_and_competences_of_their_ue(client):
    py = ProgrammeYearFactory()
    ue = UEFactory(
        programme_year=py,
        code="RSV206",
        hours=60,
        syllabus="Le cours <b>explicite</b> le contexte.\n\nSecond paragraphe.",
        competences="Comprendre l'ESS ;\nAnimer un réseau.",
    )
    bare = UEFactory(programme_year=py, code="RSV207")
    enrolment = EnrolmentFactory(programme_year=py)
    enrolment.ues.set([ue, bare])
    client.force_login(enrolment.student.user)
    page = client.get(reverse("enrolment:student-enrolment")).content.decode()
    assert "<summary" in page
    assert "Compétences visées" in page
    assert "<li>Comprendre l&#x27;ESS ;</li>" in page
    assert "60 heures" in page
    assert "&lt;b&gt;explicite&lt;/b&gt;" in page  # escaped, never markup
    assert "<p>Second paragraphe.</p>" in page
    assert "a pas encore été publié." in page


# ---- The admin goes through the service -------------------------------------------------------


def test_the_admin_saves_through_the_service_with_its_messages_and_journal(client):
    py = ProgrammeYearFactory()
    UEFactory(programme_year=py, code="RSV206")
    other = UEFactory(programme_year=py, code="RSV207")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:enrolment_ue_change", args=[other.pk])
    data = {"programme_year": str(py.pk), "code": "rsv206", "title": "T", "credits": "4"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "L&#x27;UE « RSV206 » existe déjà dans la promotion CS2600A 2024-2025." in (
        response.content.decode()
    )
    response = client.post(url, data | {"code": "rsv208"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.code == "RSV208"
    assert actions() == ["catalogue.ue.update"]


def test_the_admin_refuses_a_frozen_ue_code_change(client):
    py = ProgrammeYearFactory()
    ue = UEFactory(programme_year=py, code="RSV206", credits=8)
    freeze(py)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:enrolment_ue_change", args=[ue.pk]), {"code": "RSV299", "title": "T"}
    )
    assert response.status_code == 200
    ue.refresh_from_db()
    assert ue.code == "RSV206"
    assert actions() == []
