"""Cohort import (INTERCHANGE.md « Import file »): refusals with paths, idempotence, scoping."""

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance.models import Attendance, Session
from certification.interchange import CohortImportError, cohort_import
from enrolment.models import Enrolment, EnrolmentStatusChange, Payment, StudentProfile, User
from enrolment.services import refund_record
from grading.models import Grade, GradeHistory
from grading.services import grades_lock
from tests.certification.cohort_docs import clone, cohort, encode, row_counts, student

pytestmark = pytest.mark.django_db

Doc = dict[str, Any]


def refused(data: bytes) -> list[str]:
    before = row_counts()
    with pytest.raises(CohortImportError) as info:
        cohort_import(data=data, by=None)
    assert row_counts() == before
    return info.value.errors


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()


def _makeup(**changes: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        doc["assessments"][2].update(changes)

    return mutate


def _second_makeup(doc: Doc) -> None:
    doc["assessments"].append(
        {
            "key": "RSV206-CT-R2",
            "ue": "RSV206",
            "kind": "ct",
            "weight": "2",
            "date": "2025-06-30",
            "makeup_of": "RSV206-CT",
        }
    )


def _makeup_of_makeup(doc: Doc) -> None:
    doc["assessments"].append(
        {
            "key": "RSV206-CT-RR",
            "ue": "RSV206",
            "kind": "ct",
            "weight": "2",
            "date": "2025-06-30",
            "makeup_of": "RSV206-CT-R",
        }
    )


def _duplicate_student(doc: Doc) -> None:
    doc["students"][2]["number"] = doc["students"][0]["number"]


def _duplicate_assessment(doc: Doc) -> None:
    doc["assessments"].append(dict(doc["assessments"][0]))


def _duplicate_session(doc: Doc) -> None:
    doc["sessions"].append(dict(doc["sessions"][0]))


BAD_CASES = [
    # (id, mutation, path, fragment of the French reason)
    ("unknown_top_key", _set(["comment"], "x"), "comment", "clé inconnue"),
    (
        "unknown_nested_key",
        _set(["students", 1, "grades", 0, "note"], "x"),
        "students[1].grades[0].note",
        "clé inconnue",
    ),
    ("missing_programme_key", _set(["programme", "year"], _DELETE), "programme.year", "manquante"),
    (
        "missing_student_key",
        _set(["students", 2, "email"], _DELETE),
        "students[2].email",
        "manquante",
    ),
    (
        "missing_grade_value",
        _set(["students", 0, "grades", 0, "value"], _DELETE),
        "students[0].grades[0].value",
        "obligatoire",
    ),
    (
        "credits_not_int",
        _set(["programme", "ues", 0, "credits"], "8"),
        "programme.ues[0].credits",
        "entier",
    ),
    (
        "flag_not_bool",
        _set(["programme", "justified_absences_count"], "true"),
        "programme.justified_absences_count",
        "booléen",
    ),
    ("students_not_list", _set(["students"], {}), "students", "liste"),
    (
        "grade_over_20",
        _set(["students", 1, "grades", 1, "value"], "21"),
        "students[1].grades[1].value",
        "la note doit être comprise entre 0 et 20",
    ),
    (
        "grade_negative",
        _set(["students", 1, "grades", 1, "value"], "-1"),
        "students[1].grades[1].value",
        "entre 0 et 20",
    ),
    (
        "grade_three_decimals",
        _set(["students", 1, "grades", 1, "value"], "12.555"),
        "students[1].grades[1].value",
        "deux décimales",
    ),
    (
        "grade_comma",
        _set(["students", 1, "grades", 1, "value"], "12,5"),
        "students[1].grades[1].value",
        "point décimal",
    ),
    (
        "grade_number_not_string",
        _set(["students", 1, "grades", 1, "value"], 12),
        "students[1].grades[1].value",
        "chaîne",
    ),
    (
        "value_with_absent",
        _set(
            ["students", 1, "grades", 1],
            {"assessment": "RSV206-CT", "status": "absent", "value": "3"},
        ),
        "students[1].grades[1].value",
        "pas de note",
    ),
    (
        "grade_status_unknown",
        _set(["students", 1, "grades", 1, "status"], "excused"),
        "students[1].grades[1].status",
        "valeur inconnue",
    ),
    (
        "weight_zero",
        _set(["assessments", 0, "weight"], "0"),
        "assessments[0].weight",
        "strictement positif",
    ),
    (
        "weight_negative",
        _set(["assessments", 0, "weight"], "-1"),
        "assessments[0].weight",
        "coefficient",
    ),
    (
        "pass_mark_over_20",
        _set(["programme", "pass_mark"], "21"),
        "programme.pass_mark",
        "entre 0 et 20",
    ),
    (
        "threshold_over_100",
        _set(["programme", "absence_threshold_pct"], "101"),
        "programme.absence_threshold_pct",
        "entre 0 et 100",
    ),
    ("bad_year", _set(["programme", "year"], "2024-2026"), "programme.year", "2024-2025"),
    (
        "naive_datetime",
        _set(["sessions", 0, "start"], "2024-10-07T09:00:00"),
        "sessions[0].start",
        "décalage UTC",
    ),
    (
        "date_not_iso",
        _set(["students", 0, "birth_date"], "02/04/1990"),
        "students[0].birth_date",
        "AAAA-MM-JJ",
    ),
    (
        "impossible_date",
        _set(["students", 0, "birth_date"], "1990-02-30"),
        "students[0].birth_date",
        "inexistante",
    ),
    (
        "end_before_start",
        _set(["sessions", 0, "end"], "2024-10-07T08:00:00+02:00"),
        "sessions[0].end",
        "postérieure",
    ),
    ("session_kind", _set(["sessions", 0, "kind"], "atelier"), "sessions[0].kind", "inconnue"),
    ("session_site", _set(["sessions", 0, "site"], "lyon"), "sessions[0].site", "inconnue"),
    (
        "room_not_of_site",
        _set(["sessions", 0, "room"], "21.2.32"),
        "sessions[0].room",
        "n'appartient pas au site Conté",
    ),
    ("room_malformed", _set(["sessions", 0, "room"], "salle 12"), "sessions[0].room", "invalide"),
    ("makeup_other_kind", _makeup(kind="cc"), "assessments[2].makeup_of", "même type"),
    ("makeup_other_weight", _makeup(weight="1"), "assessments[2].makeup_of", "même coefficient"),
    ("makeup_other_ue", _makeup(ue="RSV207"), "assessments[2].makeup_of", "même UE"),
    ("makeup_of_makeup", _makeup_of_makeup, "assessments[4].makeup_of", "rattrapage"),
    ("two_makeups", _second_makeup, "assessments[4].makeup_of", "déjà un rattrapage"),
    ("makeup_dangling", _makeup(makeup_of="NOPE"), "assessments[2].makeup_of", "inconnue"),
    (
        "assessment_ue_dangling",
        _set(["assessments", 0, "ue"], "RSV999"),
        "assessments[0].ue",
        "RSV999",
    ),
    ("session_ue_dangling", _set(["sessions", 1, "ue"], "RSV999"), "sessions[1].ue", "RSV999"),
    (
        "grade_assessment_dangling",
        _set(["students", 1, "grades", 0, "assessment"], "X"),
        "students[1].grades[0].assessment",
        "inconnue",
    ),
    (
        "attendance_session_dangling",
        _set(["students", 1, "attendance", 0, "session"], "S99"),
        "students[1].attendance[0].session",
        "inconnue",
    ),
    (
        "student_ue_dangling",
        _set(["students", 1, "ues"], ["RSV206", "RSV999"]),
        "students[1].ues[1]",
        "RSV999",
    ),
    (
        "grade_ue_not_enrolled",
        _set(["students", 1, "ues"], ["RSV207"]),
        "students[1].grades[0].assessment",
        "n'est pas inscrit",
    ),
    (
        "attendance_ue_not_enrolled",
        _set(["students", 1, "ues"], ["RSV206"]),
        "students[1].attendance[1].session",
        "n'est pas inscrit",
    ),
    ("duplicate_number", _duplicate_student, "students[2].number", "en double"),
    ("duplicate_assessment_key", _duplicate_assessment, "assessments[4].key", "en double"),
    ("duplicate_session_key", _duplicate_session, "sessions[3].key", "en double"),
    (
        "late_without_minutes",
        _set(["students", 0, "attendance", 0, "minutes_missed"], _DELETE),
        "students[0].attendance[0].minutes_missed",
        "obligatoire",
    ),
    (
        "late_negative_minutes",
        _set(["students", 0, "attendance", 0, "minutes_missed"], -5),
        "students[0].attendance[0].minutes_missed",
        "compris entre",
    ),
    (
        "absent_without_justified",
        _set(["students", 0, "attendance", 1, "justified"], _DELETE),
        "students[0].attendance[1].justified",
        "obligatoire",
    ),
    (
        "attendance_present",
        _set(["students", 0, "attendance", 1, "status"], "present"),
        "students[0].attendance[1].status",
        "inconnue",
    ),
    (
        "money_three_decimals",
        _set(["students", 0, "fees_due"], "12.345"),
        "students[0].fees_due",
        "deux décimales",
    ),
    (
        "fees_negative",
        _set(["students", 0, "fees_due"], "-1.00"),
        "students[0].fees_due",
        "négatifs",
    ),
    (
        "payment_zero",
        _set(["students", 0, "payments", 0, "amount"], "0.00"),
        "students[0].payments[0].amount",
        "nul",
    ),
    (
        "payment_number",
        _set(["students", 0, "payments", 0, "amount"], 600),
        "students[0].payments[0].amount",
        "montant",
    ),
    (
        "bad_email",
        _set(["students", 0, "email"], "pas-une-adresse"),
        "students[0].email",
        "invalide",
    ),
    (
        "control_char_name",
        _set(["students", 0, "last_name"], "Nom\u202e"),
        "students[0].last_name",
        "contrôle",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [pytest.param(m, p, f, id=i) for i, m, p, f in BAD_CASES],
)
def test_bad_file_is_refused_with_path_and_nothing_written(mutate, path, fragment):
    cohort_import(data=encode(cohort()), by=None)  # something stored that must not move
    doc = cohort()
    doc["students"][0]["last_name"] = "Changé"  # a valid change that must not land either
    mutate(doc)
    errors = refused(encode(doc))
    assert any(e.startswith(f"{path}: ") and fragment in e for e in errors), errors
    assert not StudentProfile.objects.filter(last_name="Changé").exists()


def test_not_json_is_refused():
    errors = refused(b'{"programme": ')
    assert errors[0].startswith("fichier: JSON invalide")


def test_not_utf8_is_refused():
    data = encode(cohort()).replace(b"Alex", "Aléx".encode("latin-1"))
    assert "UTF-8" in refused(data)[0]


def test_nan_is_refused():
    assert "JSON invalide" in refused(b'{"programme": NaN}')[0]


def test_duplicate_keys_are_refused_at_every_level():
    text = encode(cohort()).decode()
    text = text.replace('"programme": {', '"students": [], "programme": {', 1)
    text = text.replace('"first_name": "Alex"', '"first_name": "Alex", "first_name": "Bob"', 1)
    errors = refused(text.encode())
    assert "students: clé en double" in errors
    assert "students[0].first_name: clé en double" in errors


def test_every_error_is_listed_at_once():
    doc = cohort()
    doc["students"][0]["grades"][0]["value"] = "21"
    doc["students"][2]["email"] = "x"
    doc["sessions"][0]["room"] = "21.2.32"
    errors = refused(encode(doc))
    assert len(errors) == 3


@pytest.mark.parametrize("index", [0, 5, 9], ids=["first", "middle", "last"])
def test_one_bad_student_refuses_the_whole_file(index):
    doc = cohort(students=10)
    doc["students"][index]["grades"][0]["value"] = "20.5"
    errors = refused(encode(doc))
    assert errors == [
        f"students[{index}].grades[0].value: la note doit être comprise entre 0 et 20"
    ]
    assert StudentProfile.objects.count() == 0


def test_import_creates_everything_and_grades_are_drafts():
    report = cohort_import(data=encode(cohort()), by=None)
    assert report.created["student"] == 3
    assert Enrolment.objects.filter(status=Enrolment.Status.ENROLLED).count() == 3
    assert EnrolmentStatusChange.objects.filter(to_status="enrolled").count() == 3
    assert Grade.objects.count() == 9
    assert not Grade.objects.filter(published=True).exists()
    assert GradeHistory.objects.filter(source=GradeHistory.Source.COHORT_IMPORT).count() == 9
    user = User.objects.get(username="2400001")
    assert not user.has_usable_password()
    assert user.email == "eleve1@example.org"
    assert Session.objects.get(key="S01").room == "31.1.12"
    assert any("brouillons" in line for line in report.lines())


def test_second_import_changes_nothing():
    data = encode(cohort())
    cohort_import(data=data, by=None)
    before = row_counts()
    report = cohort_import(data=data, by=None)
    assert row_counts() == before
    assert not report.changed
    assert report.grade_history_rows == 0


def test_reimport_writes_only_what_changed():
    doc = cohort()
    cohort_import(data=encode(doc), by=None)
    doc["students"][1]["grades"][0]["value"] = "15"
    doc["students"][1]["attendance"] = []
    doc["students"][0]["fees_due"] = "900.00"
    history = GradeHistory.objects.count()
    report = cohort_import(data=encode(doc), by=None)
    assert GradeHistory.objects.count() == history + 1
    assert report.updated["grade"] == 1
    grade = Grade.objects.get(enrolment__student__number="2400002", assessment__key="RSV206-CC")
    assert grade.value == Decimal("15.00")
    assert grade.version == 2
    assert not Attendance.objects.filter(enrolment__student__number="2400002").exists()
    assert Enrolment.objects.get(student__number="2400001").fees_due == Decimal("900.00")


def test_existing_enrolment_keeps_its_status():
    cohort_import(data=encode(cohort()), by=None)
    Enrolment.objects.filter(student__number="2400002").update(status=Enrolment.Status.WITHDRAWN)
    changes = EnrolmentStatusChange.objects.count()
    cohort_import(data=encode(cohort()), by=None)
    assert Enrolment.objects.get(student__number="2400002").status == Enrolment.Status.WITHDRAWN
    assert EnrolmentStatusChange.objects.count() == changes


def test_payments_are_matched_as_a_multiset():
    doc = cohort(students=1)
    doc["students"][0]["payments"] = [
        {"date": "2024-09-30", "amount": "600.00"},
        {"date": "2024-09-30", "amount": "600.00"},
        {"date": "2025-01-10", "amount": "-50.00"},
    ]
    cohort_import(data=encode(doc), by=None)
    cohort_import(data=encode(doc), by=None)
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("-50.00"),
        Decimal("600.00"),
        Decimal("600.00"),
    ]
    doc["students"][0]["payments"] = doc["students"][0]["payments"][:1]
    cohort_import(data=encode(doc), by=None)
    assert list(Payment.objects.values_list("amount", flat=True)) == [Decimal("600.00")]


def test_a_payment_typed_with_the_import_reason_survives_the_next_import():
    doc = cohort(students=1)
    doc["students"][0]["payments"] = [{"date": "2024-09-30", "amount": "600.00"}]
    cohort_import(data=encode(doc), by=None)
    enrolment = Enrolment.objects.get(student__number=doc["students"][0]["number"])
    typed = refund_record(
        enrolment=enrolment,
        date=dt.date(2025, 1, 10),
        amount=Decimal("50.00"),
        means=Payment.Means.TRANSFER,
        reason="Import de promotion",  # the words the importer writes, typed by a person
        by=None,
    )
    report = cohort_import(data=encode(doc), by=None)
    assert Payment.objects.filter(pk=typed.pk).exists()
    assert report.deleted["payment"] == 0
    assert sorted(Payment.objects.values_list("amount", "source")) == [
        (Decimal("-50.00"), Payment.Source.REGISTRAR),
        (Decimal("600.00"), Payment.Source.COHORT_IMPORT),
    ]


def test_keys_are_scoped_to_programme_and_year():
    first, second = cohort(), cohort(year="2025-2026")
    second["sessions"][0]["start"] = "2025-10-06T09:00:00+02:00"
    second["sessions"][0]["end"] = "2025-10-06T13:00:00+02:00"
    cohort_import(data=encode(first), by=None)
    cohort_import(data=encode(second), by=None)
    starts = sorted(s.start.year for s in Session.objects.filter(key="S01"))
    assert starts == [2024, 2025]
    before = row_counts()
    report = cohort_import(data=encode(first), by=None)
    assert not report.changed
    assert row_counts() == before
    assert Enrolment.objects.filter(student__number="2400001").count() == 2


def test_locked_grade_is_not_changed_by_an_import():
    doc = cohort()
    cohort_import(data=encode(doc), by=None)
    grades_lock(enrolments=Enrolment.objects.all(), by=None, reason="jury")
    doc["students"][1]["grades"][1]["value"] = "3"
    errors = refused(encode(doc))
    assert errors[0].startswith("students[1].grades[1]: note verrouillée")


def test_email_of_another_account_is_refused():
    User.objects.create(username="quelqu-un", email="ELEVE2@example.org")
    errors = refused(encode(cohort()))
    assert errors == ["students[1].email: adresse déjà utilisée par un autre compte"]


def test_username_taken_by_a_non_student_is_refused():
    User.objects.create(username="2400003", email="autre@example.org")
    errors = refused(encode(cohort()))
    assert errors[0].startswith("students[2].number: un compte")


def test_query_count_does_not_grow_with_students():
    counts = []
    for size, code in ((3, "AAA"), (40, "BBB")):
        doc = cohort(students=size, code=code)
        for s in doc["students"]:
            s["number"] = f"{code}{s['number']}"
            s["email"] = f"{code.lower()}.{s['email']}"
        with CaptureQueriesContext(connection) as first:
            cohort_import(data=encode(doc), by=None)
        with CaptureQueriesContext(connection) as again:
            cohort_import(data=encode(doc), by=None)
        counts.append((len(first), len(again)))
    assert counts[0] == counts[1], counts


def test_command_refuses_with_exit_status_2_and_errors_on_stderr(tmp_path):
    doc = cohort()
    doc["students"][2]["grades"][0]["value"] = "21"
    path = tmp_path / "promo.json"
    path.write_bytes(encode(doc))
    stderr = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_cohort", str(path), stderr=stderr, stdout=io.StringIO())
    assert info.value.returncode == 2
    assert "students[2].grades[0].value: la note doit être comprise entre 0 et 20" in (
        stderr.getvalue()
    )
    assert StudentProfile.objects.count() == 0


def test_command_imports_and_says_grades_are_drafts(tmp_path):
    path = tmp_path / "promo.json"
    path.write_bytes(encode(cohort()))
    stdout = io.StringIO()
    call_command("import_cohort", str(path), stdout=stdout)
    assert "brouillons" in stdout.getvalue()
    assert StudentProfile.objects.count() == 3


def test_student_without_ues_gets_every_ue_of_the_programme():
    doc = cohort(students=1)
    del doc["students"][0]["ues"]
    cohort_import(data=encode(doc), by=None)
    enrolment = Enrolment.objects.get()
    assert sorted(enrolment.ues.values_list("code", flat=True)) == ["RSV206", "RSV207"]


def test_student_data_is_updated_by_number():
    cohort_import(data=encode(cohort(students=1)), by=None)
    doc = cohort(students=1)
    doc["students"][0] = student(1, last_name="Durand", email="nouvelle@example.org")
    cohort_import(data=encode(doc), by=None)
    profile = StudentProfile.objects.select_related("user").get()
    assert (profile.last_name, profile.email, profile.user.email) == (
        "Durand",
        "nouvelle@example.org",
        "nouvelle@example.org",
    )


def test_clone_helper_is_deep():
    doc = cohort()
    copy = clone(doc)
    copy["students"][0]["grades"][0]["value"] = "1"
    assert doc["students"][0]["grades"][0]["value"] == "12.5"
