"""Spreadsheet round trip: export (XLSX, CSV, formulas neutralised), import with preview."""

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading import selectors, spreadsheets
from grading.models import Grade, GradeHistory
from grading.services import GradeChange, Source, grades_apply
from tests.grading.staff_world import add_students, make_world

pytestmark = pytest.mark.django_db

EVIL = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\tx", "\rx"]


def _set(world, values):
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e.pk,
                status=s,
                value=v,
                plagiarism_report="Copie" if s == "plagiarism" else "",
            )
            for e, (s, v) in zip(world.enrolments, values, strict=False)
        ],
        by=None,
        source=Source.COMMAND,
    )


def _export(client, world, fmt):
    url = reverse("grading:staff-export", kwargs={"assessment_id": world.assessment.pk, "fmt": fmt})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return response.content


def _upload(client, world, name, content):
    url = reverse("grading:staff-import", kwargs={"assessment_id": world.assessment.pk})
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def _apply(client, world):
    url = reverse("grading:staff-import-apply", kwargs={"assessment_id": world.assessment.pk})
    return client.post(url)


@pytest.fixture
def world():
    w = make_world(4)
    _set(
        w,
        [
            ("graded", Decimal("12.5")),
            ("absent", None),
            ("absent_justified", None),
            ("plagiarism", None),
        ],
    )
    return w


def test_csv_export_neutralises_formulas_and_keeps_codes_and_leading_zeros(client, world):
    student = world.enrolments[0].student
    student.last_name = EVIL[0]
    student.first_name = EVIL[1]
    student.save()
    client.force_login(world.teacher)
    content = _export(client, world, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[0][:4] == ["Numéro", "Nom", "Prénom", "Note"]
    mine = next(r for r in rows if r[0] == student.number)
    assert student.number.startswith("0")
    assert mine[1] == "'" + EVIL[0] and mine[2] == "'" + EVIL[1]
    assert sorted(r[3] for r in rows[1:]) == ["12,50", "ABJ", "ABS", "PLAGIAT"]


@pytest.mark.parametrize("evil", EVIL)
def test_attack_11_every_dangerous_prefix_is_neutralised_in_both_formats(client, world, evil):
    student = world.enrolments[1].student
    student.last_name = evil
    student.save()
    client.force_login(world.teacher)
    content = _export(client, world, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=";"))
    assert next(r for r in rows if r[0] == student.number)[1] == "'" + evil
    data = _export(client, world, "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == student.number)
    # openpyxl writes with lxml (a dependency of pyHanko), which keeps a CR as « &#13; »: the
    # name comes back exactly as typed (ElementTree's writer turned it into a LF).
    assert row[1].value == evil
    assert row[1].data_type == "s"


def test_xlsx_student_numbers_are_text_and_grades_numbers(client, world):
    client.force_login(world.teacher)
    ws = openpyxl.load_workbook(io.BytesIO(_export(client, world, "xlsx"))).active
    assert ws.cell(row=2, column=1).data_type == "s"
    assert ws.cell(row=2, column=1).value.startswith("0")
    assert ws.cell(row=2, column=4).value == 12.5
    assert [ws.cell(row=r, column=4).value for r in (3, 4, 5)] == ["ABS", "ABJ", "PLAGIAT"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_attack_16_round_trip_preview_then_apply_all_or_nothing(client, world, fmt):
    client.force_login(world.teacher)
    data = _export(client, world, fmt)
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb.active
        ws.cell(row=2, column=4).value = 14.25
        ws.cell(row=3, column=4).value = "15,5"
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
    else:
        text = data.decode("utf-8-sig").replace(";12,50;", ";14,25;").replace(";ABS;", ";15,5;")
        data = text.encode("cp1252")  # Excel on Windows saves cp1252
    response = _upload(client, world, f"notes.{fmt}", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "14,25" in body and "15,50" in body and "Appliquer" in body
    assert Grade.objects.get(enrolment=world.enrolments[0]).value == Decimal("12.50")
    before = GradeHistory.objects.count()
    assert _apply(client, world).status_code == 302
    assert Grade.objects.get(enrolment=world.enrolments[0]).value == Decimal("14.25")
    assert Grade.objects.get(enrolment=world.enrolments[1]).value == Decimal("15.50")
    assert GradeHistory.objects.filter(source=Source.IMPORT).count() == 2
    assert GradeHistory.objects.count() == before + 2
    # The same preview cannot be applied twice.
    _apply(client, world)
    assert GradeHistory.objects.count() == before + 2


def _csv(world, rows, token=None):
    token = token or spreadsheets.assessment_token(world.assessment)
    lines = ["Numéro;Nom;Prénom;Note;Rapport;Évaluation;Version"]
    for number, note, version in rows:
        lines.append(f"{number};X;Y;{note};;{token};{version}")
    return ("\n".join(lines) + "\n").encode()


def test_attack_15_each_import_error_is_reported_with_its_line_and_nothing_is_applied(
    client, world
):
    client.force_login(world.teacher)
    e = world.enrolments
    data = _csv(
        world,
        [
            (e[0].student.number, "13", 2),  # fine
            ("99999999", "12", 0),  # unknown
            (e[1].student.number, "21", 2),  # out of range
            (e[2].student.number, "=1+1", 2),  # formula-shaped text
            (e[3].student.number, "11", 1),  # stale version (it is 2... see below)
        ],
    )
    response = _upload(client, world, "n.csv", data)
    body = response.content.decode()
    assert "inconnu" in body
    assert "entre 0 et 20" in body
    assert "Appliquer" not in body
    assert _apply(client, world).status_code == 302
    assert Grade.objects.get(enrolment=e[0]).value == Decimal("12.50")


def test_a_word_in_the_grade_column_is_answered_with_the_codes_accepted(client, world):
    client.force_login(world.teacher)
    e = world.enrolments
    response = _upload(client, world, "n.csv", _csv(world, [(e[0].student.number, "abs.", 2)]))
    body = response.content.decode()
    assert (
        "Saisissez une note de 0 à 20 (ex. 12,5) ou un code : ABS (absent), ABJ (absence "
        "justifiée), PLAGIAT."
    ) in body
    assert "Appliquer" not in body


def test_duplicate_numbers_blank_cells_and_stale_file(client, world):
    client.force_login(world.teacher)
    e = world.enrolments
    v0 = Grade.objects.get(enrolment=e[0]).version
    data = _csv(
        world,
        [
            (e[0].student.number, "", v0),
            (e[1].student.number, "9", 1),
            (e[1].student.number, "8", 1),
        ],
    )
    body = _upload(client, world, "n.csv", data).content.decode()
    assert "plusieurs fois" in body
    # Blank never erases: only blank → no change at all.
    data = _csv(world, [(e[0].student.number, "", v0)])
    body = _upload(client, world, "n.csv", data).content.decode()
    assert "ne change aucune note" in body
    # Someone changes the grade after the export: the file is stale.
    grades_apply(
        changes=[
            GradeChange(
                assessment_id=world.assessment.pk,
                enrolment_id=e[0].pk,
                status="graded",
                value=Decimal("3"),
            )
        ],
        by=None,
        source=Source.COMMAND,
    )
    data = _csv(world, [(e[0].student.number, "17", v0)])
    body = _upload(client, world, "n.csv", data).content.decode()
    assert "modifiée depuis l" in body and "3,00" in body


def test_a_file_for_another_assessment_is_refused(client, world):
    client.force_login(world.teacher)
    token = spreadsheets.assessment_token(world.other_assessment)
    data = _csv(world, [(world.enrolments[0].student.number, "13", 2)], token=token)
    body = _upload(client, world, "n.csv", data).content.decode()
    assert "autre évaluation" in body


def test_comma_separated_utf8_csv_with_comma_decimal_quoted(client, world):
    client.force_login(world.teacher)
    token = spreadsheets.assessment_token(world.assessment)
    version = Grade.objects.get(enrolment=world.enrolments[1]).version
    number = world.enrolments[1].student.number
    text = (
        "Numéro,Nom,Prénom,Note,Rapport,Évaluation,Version\n"
        f'{number},Élodie,Zoé,"10,75",,{token},{version}\n'
    )
    body = _upload(client, world, "n.csv", text.encode("utf-8")).content.decode()
    assert "10,75" in body and "Appliquer" in body


def _xlsx_with(world, mutate):
    grid = selectors.assessment_grid(world.assessment)
    wb = openpyxl.load_workbook(io.BytesIO(spreadsheets.export_xlsx(grid)))
    mutate(wb.active)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_attack_12_formulas_in_the_grade_column_are_refused_not_evaluated(client, world):
    client.force_login(world.teacher)

    def put_formula(ws):
        ws.cell(row=2, column=4).value = "=10+5"

    body = _upload(client, world, "n.xlsx", _xlsx_with(world, put_formula)).content.decode()
    assert "Formule refusée" in body
    assert "Appliquer" not in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xlsx", b"MZ\x90\x00" + b"\x00" * 100, "programme"),
        ("notes.csv", "Numéro;Note\n".encode("utf-16"), "UTF-16"),
        ("notes.xlsx", b"PK\x03\x04garbage", "illisible"),
    ],
)
def test_attack_14_wrong_files_get_a_clear_message(client, world, name, content, message):
    client.force_login(world.teacher)
    body = _upload(client, world, name, content).content.decode()
    assert message in body


def _zip(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def test_attack_13_zip_bomb_many_entries_macros_and_entities_are_refused_before_parsing(
    client, world
):
    client.force_login(world.teacher)
    base = [("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")]
    bomb = _zip([*base, ("xl/worksheets/sheet1.xml", b"0" * (25 * 1024 * 1024))])
    assert len(bomb) < 1024 * 1024
    assert "20 Mo" in _upload(client, world, "n.xlsx", bomb).content.decode()
    many = _zip([*base, *((f"xl/x{i}.xml", "<a/>") for i in range(150))])
    assert "trop d" in _upload(client, world, "n.xlsx", many).content.decode()
    macro = _zip([*base, ("xl/vbaProject.bin", b"\x00")])
    assert "macros" in _upload(client, world, "n.xlsm", macro).content.decode()
    entities = _zip(
        [
            *base,
            (
                "xl/sharedStrings.xml",
                '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            ),
        ]
    )
    assert "entités" in _upload(client, world, "n.xlsx", entities).content.decode()


def test_attack_17_an_upload_over_the_size_limit_is_refused(client, world, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    client.force_login(world.teacher)
    body = _upload(client, world, "n.csv", b"x" * 2000).content.decode()
    assert "trop volumineux" in body


def test_importing_2000_rows_takes_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    def run(world, n):
        grid = selectors.assessment_grid(world.assessment)
        text = (
            spreadsheets.export_csv(grid)
            .decode("utf-8-sig")
            .replace(
                ";;",
                ";12;",
            )
        )
        lines = text.splitlines()
        out = [lines[0]]
        for line in lines[1:]:
            cells = line.split(";")
            cells[3] = "12"
            out.append(";".join(cells))
        data = ("\n".join(out)).encode()
        with django_assert_max_num_queries(60) as ctx:
            response = _upload(client, world, "n.csv", data)
            assert f">{n}</span>" in response.content.decode()
            assert _apply(client, world).status_code == 302
        assert Grade.objects.filter(assessment=world.assessment).count() == n
        return len(ctx.captured_queries)

    small = make_world(0)
    add_students(small, 10)
    client.force_login(small.teacher)
    small_count = run(small, 10)
    big = make_world(0, year="2025-2026")
    add_students(big, 2000, prefix="8")
    client.force_login(big.teacher)
    assert run(big, 2000) <= small_count
