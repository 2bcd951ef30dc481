"""The official enrolment list imported by the registrar: reading, mapping, preview, the
all-or-nothing write, idempotence, the freeze, the invitations in the background."""

import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enrolment import roster, services
from enrolment.models import AuditEntry, Enrolment, RosterImport, StudentProfile, User
from lib.storage import private_storage
from tests.data.make_roster_sample import SAMPLE, roster_workbook, sample_rows
from tests.factories import (
    EnrolmentFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAPPING = ["number", "last_name", "first_name", "birth_date", "email", "phone"]


@pytest.fixture
def year():
    py = ProgrammeYearFactory(year="2025-2026", fees=Decimal("1200.00"))
    UEFactory(programme_year=py, code="RSV206")
    UEFactory(programme_year=py, code="RSV207")
    return py


@pytest.fixture
def registrar():
    return RegistrarFactory()


def csv_bytes(lines, *, encoding="utf-8", sep=";"):
    return ("\r\n".join(sep.join(cells) for cells in lines) + "\r\n").encode(encoding)


HEADER = ["N° auditeur", "Nom", "Prénom", "Date de naissance", "Courriel", "Téléphone"]


def apply(year, data, *, by=None, mapping=None, filename="liste.xlsx"):
    table = roster.read_table(data)
    return roster.roster_apply(
        programme_year=year,
        table=table,
        mapping=mapping or roster.guess_mapping(table.headers),
        by=by,
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def preview_of(year, data, mapping=None):
    table = roster.read_table(data)
    return roster.roster_preview(
        programme_year=year, table=table, mapping=mapping or roster.guess_mapping(table.headers)
    )


# ---- Mapping ---------------------------------------------------------------------------------


def test_mapping_is_guessed_from_french_headers_whatever_accents_and_case():
    headers = [
        "N° auditeur",
        "NOM",
        "prenom",
        "Date de naissance (JJ/MM/AAAA)",
        "Courriel",
        "Tél.",
        "UE suivies",
        "Remarques",
    ]
    assert roster.guess_mapping(headers) == [
        "number",
        "last_name",
        "first_name",
        "birth_date",
        "email",
        "phone",
        "ues",
        "",
    ]


def test_a_field_named_twice_is_mapped_once_and_a_mapping_without_email_is_refused():
    assert roster.guess_mapping(["Nom", "Nom d'usage", "Prénom"]) == ["last_name", "", "first_name"]
    errors = roster.mapping_errors(["number", "last_name", "first_name", "birth_date", ""])
    assert errors == ["Associez une colonne du fichier au champ « E-mail »."]
    assert roster.mapping_errors([*MAPPING[:5], "email"]) == [
        "« E-mail » est associé à plusieurs colonnes : gardez-en une seule."
    ]


# ---- Reading ---------------------------------------------------------------------------------


def test_the_sample_file_holds_thirty_students_mapped_without_help():
    table = roster.read_table(SAMPLE.read_bytes())
    assert len(table.rows) == 30
    assert roster.guess_mapping(table.headers) == MAPPING
    assert table.rows[0][0] == 2


def test_csv_in_windows_1252_with_semicolons_and_utf8_with_commas_read_the_same(year):
    lines = [HEADER, ["2500001", "Bérénice", "Éloïse", "02/04/1990", "eloise@example.org", ""]]
    for data in (csv_bytes(lines, encoding="cp1252"), csv_bytes(lines, sep=",")):
        preview = preview_of(year, data)
        assert preview.ok
        assert [(r.number, r.last_name, r.first_name) for r in preview.rows] == [
            ("2500001", "Bérénice", "Éloïse")
        ]
        assert preview.rows[0].birth_date == dt.date(1990, 4, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00binary", "Ce fichier est un programme"),
        (b"\xff\xfeN\x00o\x00m\x00", "UTF-16"),
        (b"PK\x03\x04not a zip", "illisible"),
        (b"Nom;Prenom\r\n", "aucun élève"),
    ],
)
def test_what_is_not_a_usable_list_is_refused_with_a_clear_message(data, message):
    with pytest.raises(roster.SpreadsheetRejected) as info:
        roster.read_table(data)
    assert message in info.value.message


# ---- Preview and write -----------------------------------------------------------------------


def test_an_xlsx_list_creates_accounts_enrolments_with_the_year_fees_and_all_its_ue(
    year, registrar
):
    done = apply(year, roster_workbook(sample_rows(30)), by=registrar)
    assert (done.created, done.unchanged, len(done.to_invite)) == (30, 0, 30)
    assert done.state == RosterImport.State.SENDING
    enrolments = Enrolment.objects.filter(programme_year=year)
    assert enrolments.count() == 30
    first = enrolments.select_related("student__user").get(student__number="2500101")
    assert first.fees_due == Decimal("1200.00")
    assert first.status == Enrolment.Status.PENDING
    assert sorted(first.ues.values_list("code", flat=True)) == ["RSV206", "RSV207"]
    assert first.student.birth_date == dt.date(1980, 1, 1)
    assert first.student.user.email == "ines.garnier@example.org"
    assert not first.student.user.has_usable_password()
    assert first.status_changes.get().by == registrar
    # One line for the import, then one per enrolment it created (enrolment_create's own).
    assert AuditEntry.objects.filter(action="enrolment.enrolment.create").count() == 30
    entry = AuditEntry.objects.get(action="enrolment.roster.import")
    assert (entry.action, entry.by, entry.programme_year) == (
        "enrolment.roster.import",
        registrar,
        year,
    )
    assert "30 inscription(s) créée(s)" in entry.summary
    assert mail.outbox == []  # the invitations wait for the background task


def test_a_ue_column_chooses_the_enrolment_ue_and_an_unknown_code_is_a_row_error(year):
    lines = [
        [*HEADER, "UE"],
        ["2500001", "Durand", "Ana", "01/02/1990", "ana@example.org", "", "rsv206"],
        ["2500002", "Roy", "Léo", "01/02/1990", "leo@example.org", "", "RSV999, RSV207"],
    ]
    preview = preview_of(year, csv_bytes(lines))
    assert [(e.line, e.column, e.message) for e in preview.errors] == [
        (3, "UE", "UE inconnue en 2025-2026 : RSV999.")
    ]
    del lines[2]
    apply(year, csv_bytes(lines))
    enrolment = Enrolment.objects.get(student__number="2500001")
    assert list(enrolment.ues.values_list("code", flat=True)) == ["RSV206"]


def test_errors_are_listed_per_row_with_line_and_column_and_nothing_is_written(year):
    other = UserFactory(email="Pris@Example.org")
    lines = [
        HEADER,
        ["2500001", "Durand", "Ana", "01/02/1990", "ana@example.org", ""],
        ["2500002", "Roy", "Léo", "31/02/1990", "leo@example.org", ""],
        ["2500003", "Petit", "Zoé", "01/02/1990", "pas-une-adresse", ""],
        ["2500004", "", "Paul", "01/02/1990", "paul@example.org", ""],
        ["2500005", "Leroy", "Tom", "01/02/1990", "tom@example.org", ""],
        ["2500005", "Leroy", "Théo", "01/02/1990", "theo@example.org", ""],
        ["2500007", "Blanc", "Eva", "01/02/1990", "pris@example.org", ""],
        ["2500008", "Noir", "Max", "01/02/1990", "max@example.org", "abc"],
    ]
    data = csv_bytes(lines)
    preview = preview_of(year, data)
    assert [(e.line, e.column, e.message) for e in preview.errors] == [
        (
            3,
            "Date de naissance",
            "Date de naissance invalide (« 31/02/1990 ») : écrivez-la JJ/MM/AAAA.",
        ),
        (4, "Courriel", "Adresse e-mail invalide (« pas-une-adresse »)."),
        (5, "Nom", "Nom manquant."),
        (6, "N° auditeur", "Numéro 2500005 présent plusieurs fois dans le fichier (lignes 6, 7)."),
        (7, "N° auditeur", "Numéro 2500005 présent plusieurs fois dans le fichier (lignes 6, 7)."),
        (8, "Courriel", "L'adresse pris@example.org est déjà celle d'une autre personne."),
        (9, "Téléphone", "Numéro de téléphone invalide (« abc »)."),
    ]
    assert not preview.can_apply
    users = User.objects.count()
    with pytest.raises(roster.RosterError) as info:
        apply(year, data)
    assert len(info.value.preview.errors) == 7
    assert User.objects.count() == users
    assert not StudentProfile.objects.exclude(user=other).exists()
    assert not Enrolment.objects.exists()
    assert not RosterImport.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_failure_while_writing_the_last_row_leaves_nothing_written(year, monkeypatch):
    real = services.enrolment_create
    calls = []

    def failing_on_the_last(**kwargs):
        calls.append(1)
        if len(calls) == 30:
            raise services.EnrolmentError("Panne simulée.")
        return real(**kwargs)

    monkeypatch.setattr(services, "enrolment_create", failing_on_the_last)
    with pytest.raises(roster.RosterError) as info:
        apply(year, roster_workbook(sample_rows(30)))
    assert [(e.line, e.message) for e in info.value.preview.errors] == [(31, "Panne simulée.")]
    assert not StudentProfile.objects.exists()
    assert not Enrolment.objects.exists()
    assert not RosterImport.objects.exists()


def test_importing_the_same_list_again_creates_nothing_and_counts_them_already_present(
    year, registrar
):
    data = roster_workbook(sample_rows(30))
    apply(year, data, by=registrar)
    users = User.objects.count()
    again = preview_of(year, data)
    assert (again.new, again.enrol, again.unchanged, again.can_apply) == (0, 0, 30, False)
    second = apply(year, data, by=registrar)
    assert (second.created, second.unchanged, second.to_invite) == (0, 30, [])
    assert second.state == RosterImport.State.DONE
    assert User.objects.count() == users
    assert Enrolment.objects.filter(programme_year=year).count() == 30


def test_a_known_student_is_enrolled_with_the_record_kept_and_a_wrong_name_is_refused(year):
    known = StudentFactory(number="2400999", last_name="Lefèvre", first_name="Hugo")
    EnrolmentFactory(student=known)  # enrolled in another year
    lines = [HEADER, ["2400999", "LEFEVRE", "Hugo", "", "", ""]]
    preview = preview_of(year, csv_bytes(lines))
    assert [(r.action, r.student_id) for r in preview.rows] == [(roster.Action.ENROL, known.pk)]
    wrong = [HEADER, ["2400999", "Martin", "Hugo", "", "", ""]]
    assert [e.message for e in preview_of(year, csv_bytes(wrong)).errors] == [
        "Le numéro 2400999 est celui de Hugo LEFÈVRE : le nom du fichier (« Martin ») ne "
        "correspond pas."
    ]
    done = apply(year, csv_bytes(lines))
    assert (done.created, done.to_invite) == (1, [])
    assert Enrolment.objects.filter(student=known, programme_year=year).exists()


def test_a_deliberated_cohort_refuses_the_new_enrolments(year):
    year.frozen_at = timezone.now()
    year.save()
    data = roster_workbook(sample_rows(3))
    preview = preview_of(year, data)
    assert preview.general == [
        "Le jury de cette promotion a délibéré : aucune inscription ne peut plus y être "
        "ajoutée ni en être retirée."
    ]
    with pytest.raises(roster.RosterError):
        apply(year, data)
    assert not StudentProfile.objects.exists()
    assert not RosterImport.objects.exists()


def test_formula_cells_are_refused_never_evaluated(year):
    rows = sample_rows(2)
    rows[1][1] = '=HYPERLINK("http://evil.example","Clic")'
    data = roster_workbook(rows)
    preview = preview_of(year, data)
    assert [(e.line, e.column, e.message) for e in preview.errors] == [
        (3, "Nom", "Formule refusée : saisissez une valeur, pas une formule.")
    ]
    csv_formula = csv_bytes(
        [HEADER, ["2500001", "@SUM(1)", "Ana", "01/02/1990", "a@example.org", ""]]
    )
    assert [e.message for e in preview_of(year, csv_formula).errors] == [
        "« @SUM(1) » commence par « @ » : un tableur le lirait comme une formule."
    ]
    with pytest.raises(roster.RosterError):
        apply(year, data)
    assert not StudentProfile.objects.exists()


# ---- Invitations -----------------------------------------------------------------------------


def test_invitations_go_by_batches_a_failure_is_kept_and_a_resend_finishes(
    year, monkeypatch, client, registrar, settings, django_capture_on_commit_callbacks
):
    done = apply(year, roster_workbook(sample_rows(5)))
    failing = User.objects.get(username="2500103").pk
    real = services.invitation_send

    def flaky(*, user):
        if user.pk == failing:
            raise OSError("SMTP indisponible")
        real(user=user)

    monkeypatch.setattr(services, "invitation_send", flaky)
    result = roster.invitations_send(import_id=done.pk, batch_size=2)
    assert (result.invited, result.to_invite, result.state) == (4, [failing], "failed")
    assert result.error == "1 invitation(s) n'ont pas pu être envoyées : relancez l'envoi."
    state = roster.progress(result)
    assert (state.invited, state.total, state.percent) == (4, 5, 80)

    client.force_login(registrar)
    page = client.get(reverse("enrolment:registrar-roster-import", args=[done.pk]))
    html = page.content.decode()
    assert "4 / 5 invitations envoyées" in html
    assert '<progress class="w-100" max="5" value="4"' in html
    assert "2500103" in html  # the student still to invite is listed

    monkeypatch.setattr(services, "invitation_send", real)
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enrolment:registrar-roster-resend", args=[done.pk]))
    done.refresh_from_db()
    assert (done.invited, done.to_invite, done.state) == (5, [], "done")
    assert AuditEntry.objects.filter(action="enrolment.roster.resend").count() == 1


# ---- Views -----------------------------------------------------------------------------------


def _upload(client, year, data, name="liste.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("enrolment:registrar-roster"),
        {"programme_year": year.pk, "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.search(r"/depot/([^/]+)/colonnes/", response["Location"]).group(1)


def _mapping_post(client, token, mapping):
    return client.post(
        reverse("enrolment:registrar-roster-mapping", args=[token]),
        {f"col_{i}": key for i, key in enumerate(mapping)},
    )


def test_the_whole_flow_imports_then_the_task_sends_one_invitation_per_new_account(
    client, year, registrar, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    known = StudentFactory(number="2400999", last_name="Lefèvre", first_name="Hugo")
    rows = sample_rows(4)
    rows.append(["2400999", "Lefèvre", "Hugo", "", "", ""])
    data = roster_workbook(rows)
    client.force_login(registrar)
    token = _upload(client, year, data)

    page = client.get(reverse("enrolment:registrar-roster-mapping", args=[token]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="number" selected>' in html
    assert '<option value="email" selected>' in html

    response = _mapping_post(client, token, MAPPING)
    assert response["Location"] == reverse("enrolment:registrar-roster-preview", args=[token])
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert "Nouveau compte, inscription et invitation" in html
    assert "Élève connu·e : nouvelle inscription" in html
    assert "Importer les 5 inscriptions" in html

    sha = hashlib.sha256(data).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("enrolment:registrar-roster-confirm", args=[token]), {"sha256": sha}
        )
    done = RosterImport.objects.get()
    assert response["Location"] == reverse("enrolment:registrar-roster-import", args=[done.pk])
    assert len(mail.outbox) == 4  # the new accounts; the known student already has one
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r[4] for r in rows[:4])
    assert (done.created, done.invited, done.to_invite, done.state) == (5, 4, [], "done")
    assert Enrolment.objects.filter(programme_year=year, student=known).exists()
    page = client.get(response["Location"]).content.decode()
    assert "4 / 4 invitations envoyées" in page
    assert "roster.js" not in page  # finished: no more refreshing
    assert not private_storage().listdir("roster-uploads")[1]  # the file is gone
    # The same file again: nothing to import, « déjà présentes ».
    token = _upload(client, year, data)
    _mapping_post(client, token, MAPPING)
    html = client.get(reverse("enrolment:registrar-roster-preview", args=[token])).content.decode()
    assert "Rien à importer : les 5 inscriptions sont déjà présentes." in html
    assert "registrar-roster-confirm" not in html


def test_the_progress_page_refreshes_itself_while_sending(client, year, registrar):
    done = apply(year, roster_workbook(sample_rows(30)))
    RosterImport.objects.filter(pk=done.pk).update(invited=12, to_invite=done.to_invite[12:])
    client.force_login(registrar)
    html = client.get(reverse("enrolment:registrar-roster-import", args=[done.pk])).content.decode()
    assert "12 / 30 invitations envoyées" in html
    assert '<progress class="w-100" max="30" value="12"' in html
    assert "js/roster.js" in html


def test_per_row_errors_show_on_the_preview_and_confirm_writes_nothing(client, year, registrar):
    data = csv_bytes([HEADER, ["2500001", "Durand", "Ana", "1990-13-01", "ana@example.org", ""]])
    client.force_login(registrar)
    token = _upload(client, year, data, name="liste.csv")
    _mapping_post(client, token, MAPPING)
    html = client.get(reverse("enrolment:registrar-roster-preview", args=[token])).content.decode()
    assert "Date de naissance invalide (« 1990-13-01 ») : écrivez-la JJ/MM/AAAA." in html
    assert "registrar-roster-confirm" not in html
    response = client.post(
        reverse("enrolment:registrar-roster-confirm", args=[token]),
        {"sha256": hashlib.sha256(data).hexdigest()},
    )
    assert response.status_code == 400
    assert not StudentProfile.objects.exists()


def test_the_mapping_page_refuses_a_mapping_without_required_fields(client, year, registrar):
    client.force_login(registrar)
    token = _upload(client, year, roster_workbook(sample_rows(2)))
    response = _mapping_post(client, token, ["number", "last_name", "first_name", "", "", ""])
    assert response.status_code == 400
    assert "Associez une colonne du fichier au champ « Date de naissance »." in (
        response.content.decode()
    )


def test_a_file_changed_between_preview_and_confirm_is_refused(client, year, registrar):
    data = roster_workbook(sample_rows(3))
    client.force_login(registrar)
    token = _upload(client, year, data)
    _mapping_post(client, token, MAPPING)
    sha = hashlib.sha256(data).hexdigest()
    # Another preview's hash (another tab): refused.
    response = client.post(
        reverse("enrolment:registrar-roster-confirm", args=[token]), {"sha256": "0" * 64}
    )
    assert response["Location"] == reverse("enrolment:registrar-roster")
    assert not StudentProfile.objects.exists()
    # The stored file altered: refused too.
    token = _upload(client, year, data)
    _mapping_post(client, token, MAPPING)
    name = client.session["enrolment-roster-uploads"][token]["name"]
    with private_storage().open(name, "wb") as stored:
        stored.write(roster_workbook(sample_rows(4)))
    response = client.post(
        reverse("enrolment:registrar-roster-confirm", args=[token]), {"sha256": sha}
    )
    assert response["Location"] == reverse("enrolment:registrar-roster")
    assert not StudentProfile.objects.exists()


def test_an_upload_of_another_session_is_not_found(client, year, registrar):
    client.force_login(registrar)
    token = _upload(client, year, roster_workbook(sample_rows(2)))
    client.force_login(RegistrarFactory())
    assert (
        client.get(reverse("enrolment:registrar-roster-mapping", args=[token])).status_code == 404
    )


def test_a_program_renamed_xlsx_is_refused_on_the_upload_page(client, year, registrar):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(registrar)
    response = client.post(
        reverse("enrolment:registrar-roster"),
        {"programme_year": year.pk, "file": SimpleUploadedFile("liste.xlsx", b"MZ\x90\x00")},
    )
    assert response.status_code == 400
    assert "Ce fichier est un programme" in response.content.decode()


def test_teachers_and_students_are_refused_and_nothing_is_imported(client, year):
    done = apply(year, roster_workbook(sample_rows(1)))
    student = StudentProfile.objects.get().user
    urls = [
        reverse("enrolment:registrar-roster"),
        reverse("enrolment:registrar-roster-import", args=[done.pk]),
    ]
    for user in (StaffFactory(ues=[year.ues.first()]), student):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert (
            client.post(reverse("enrolment:registrar-roster-resend", args=[done.pk])).status_code
            == 403
        )
        assert (
            client.post(
                reverse("enrolment:registrar-roster-confirm", args=["x"]), {"sha256": "0"}
            ).status_code
            == 403
        )
    client.logout()
    assert client.get(urls[0]).status_code == 302
    assert RosterImport.objects.count() == 1


def test_the_list_page_shows_the_promotion_imports_with_their_state(client, year, registrar):
    apply(year, roster_workbook(sample_rows(2)), filename="inscrits-sept.xlsx")
    other = ProgrammeYearFactory(year="2026-2027")
    UEFactory(programme_year=other, code="RSV206")
    lines = [HEADER, ["2600001", "Roy", "Léo", "01/02/1990", "leo@example.org", ""]]
    apply(other, csv_bytes(lines), filename="autre.csv")
    client.force_login(registrar)
    html = client.get(
        reverse("enrolment:registrar-roster") + f"?promotion={year.pk}"
    ).content.decode()
    assert "inscrits-sept.xlsx" in html
    assert "autre.csv" not in html
    assert "0 / 2 — Invitations en cours d&#x27;envoi" in html


def test_the_task_of_an_import_removed_since_sends_nothing(year):
    done = apply(year, roster_workbook(sample_rows(1)))
    pk = done.pk
    RosterImport.objects.filter(pk=pk).delete()
    assert roster.invitations_send(import_id=pk) is None
    assert mail.outbox == []


def test_a_mapping_to_an_unknown_field_is_refused(client, year, registrar):
    client.force_login(registrar)
    token = _upload(client, year, roster_workbook(sample_rows(1)))
    response = _mapping_post(client, token, [*MAPPING[:5], "is_staff"])
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert client.session["enrolment-roster-uploads"][token]["confirmed_mapping"] is False
