"""The official export (docs/exports.md): columns and order as documented, values for each kind
of student, provisional then final, CSV encoding, XLSX cell types, no formula, access."""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from certification import official_export, services
from enrolment.models import Enrolment
from grading.models import Grade
from tests.certification.conftest import deliberate
from tests.factories import (
    AssessmentFactory,
    EnrolmentFactory,
    GradeFactory,
    ProgrammeYearFactory,
    RegistrarFactory,
    StaffFactory,
    StudentFactory,
    UEFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "exports.md"


def _student(py, number, last_name, first_name, *, birth_date=dt.date(1990, 4, 2), **kw):
    user = UserFactory(username=f"eleve{number}", first_name=first_name, last_name=last_name)
    student = StudentFactory(user=user, number=number, birth_date=birth_date)
    return EnrolmentFactory(student=student, programme_year=py, **kw)


@pytest.fixture
def world():
    """RSV206 (8 crédits) and RSV207 (4), one terminal assessment each.

    2400001 passes both (14, 12); 2400002 fails RSV207 (8,50); 2400003 missed RSV206's exam
    without a justification (défaillant); 2400004 missed it with one (no make-up yet);
    2400005 withdrew; 2400006 follows RSV207 only, with a name that reads as a formula.
    """
    py = ProgrammeYearFactory()
    ue1 = UEFactory(programme_year=py, code="RSV206", credits=8)
    ue2 = UEFactory(programme_year=py, code="RSV207", credits=4)
    a1 = AssessmentFactory(ue=ue1, key="RSV206-CT")
    a2 = AssessmentFactory(ue=ue2, key="RSV207-CT")
    passed = _student(py, "2400001", "Martin", "Camille")
    failed = _student(py, "2400002", "Durand", "Jules", birth_date=dt.date(1987, 9, 15))
    defaillant = _student(py, "2400003", "Petit", "Inès")
    justified = _student(py, "2400004", "Bernard", "Noé")
    withdrawn = _student(py, "2400005", "Parti", "Léo", status=Enrolment.Status.WITHDRAWN)
    formula = _student(py, "2400006", '=HYPERLINK("http://x")', "@SUM(1)", ues=[ue2])
    marks = {
        passed: (Decimal("14"), Decimal("12")),
        failed: (Decimal("14"), Decimal("8.5")),
        defaillant: (Grade.Status.ABSENT, Decimal("12")),
        justified: (Grade.Status.ABSENT_JUSTIFIED, Decimal("12")),
        withdrawn: (Decimal("10"), Decimal("10")),
    }
    for enrolment, (m1, m2) in marks.items():
        if isinstance(m1, Decimal):
            GradeFactory(assessment=a1, enrolment=enrolment, value=m1)
        else:
            GradeFactory(assessment=a1, enrolment=enrolment, status=m1, value=None)
        GradeFactory(assessment=a2, enrolment=enrolment, value=m2)
    GradeFactory(assessment=a2, enrolment=formula, value=Decimal("15"))
    return {"py": py, "passed": passed}


def _url(py, fmt):
    return reverse(
        "certification:registrar-official-export",
        kwargs={"programme_year_id": py.pk, "fmt": fmt},
    )


def _csv(client, py):
    response = client.get(_url(py, "csv"))
    assert response.status_code == 200
    return response, response.content.decode("utf-8-sig")


def _rows(text):
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = lines[0], lines[1:]
    return header, {row[3]: dict(zip(header, row, strict=True)) for row in body}


def documented_columns(n_ues: int) -> list[str]:
    """The codes of the documented table of columns, in order, ``UEn_…`` expanded."""
    section = DOC.read_text(encoding="utf-8").split("## Colonnes", 1)[1].split("\n## ", 1)[0]
    codes = re.findall(r"^\| `([A-Zn_]+)` \|", section, flags=re.MULTILINE)
    out: list[str] = []
    block = [c for c in codes if c.startswith("UEn_")]
    for code in codes:
        if code == block[0]:
            out += [c.replace("UEn_", f"UE{k}_") for k in range(1, n_ues + 1) for c in block]
        elif not code.startswith("UEn_"):
            out.append(code)
    return out


def test_the_columns_are_those_documented_in_their_order(client, world):
    client.force_login(RegistrarFactory())
    _response, text = _csv(client, world["py"])
    header, _rows_by_number = _rows(text)
    assert documented_columns(2)[:8] == [
        "STATUT_EXPORT",
        "COD_ANU",
        "COD_DIP",
        "COD_ETU",
        "NOM",
        "PRENOM",
        "DATE_NAI",
        "UE1_COD",
    ]
    assert header == documented_columns(2)
    assert official_export.headers(2) == documented_columns(2)


def test_before_the_jury_the_file_is_provisional_with_empty_decisions(client, world):
    client.force_login(RegistrarFactory())
    response, text = _csv(client, world["py"])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="export-officiel-cs2600a-2024-2025-provisoire.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    _header, rows = _rows(text)
    assert list(rows) == ["2400001", "2400002", "2400003", "2400004", "2400006"]  # no 2400005
    for row in rows.values():
        assert row["STATUT_EXPORT"] == "PROVISOIRE"
        assert row["COD_ANU"] == "2024"
        assert row["COD_DIP"] == "CS2600A"
        assert (row["DEC_JURY"], row["DAT_JURY"], row["NUM_PV"], row["NUM_CERT"]) == ("",) * 4
    passed = rows["2400001"]
    assert (passed["NOM"], passed["PRENOM"], passed["DATE_NAI"]) == (
        "MARTIN",
        "Camille",
        "02/04/1990",
    )
    assert [passed[f"UE1_{c}"] for c in ("COD", "NOTE", "RES", "ECTS")] == [
        "RSV206",
        "14,00",
        "ADM",
        "8",
    ]
    assert [passed[f"UE2_{c}"] for c in ("COD", "NOTE", "RES", "ECTS")] == [
        "RSV207",
        "12,00",
        "ADM",
        "4",
    ]
    assert (passed["ECTS_ACQUIS"], passed["ECTS_INSCRITS"], passed["TAUX_ABS"]) == (
        "12",
        "12",
        "0,00",
    )
    failed = rows["2400002"]
    assert failed["DATE_NAI"] == "15/09/1987"
    assert [failed[f"UE2_{c}"] for c in ("NOTE", "RES", "ECTS")] == ["8,50", "AJ", "0"]
    assert failed["ECTS_ACQUIS"] == "8"
    defaillant = rows["2400003"]
    assert [defaillant[f"UE1_{c}"] for c in ("NOTE", "RES", "ECTS")] == ["0,00", "ABI", "0"]
    justified = rows["2400004"]
    assert [justified[f"UE1_{c}"] for c in ("NOTE", "RES", "ECTS")] == ["ABJ", "ATT", "0"]
    assert justified["ECTS_ACQUIS"] == "4"
    # A UE the student does not follow: the whole block is empty.
    only_207 = rows["2400006"]
    assert [only_207[f"UE1_{c}"] for c in ("COD", "NOTE", "RES", "ECTS")] == ["", "", "", ""]
    assert [only_207[f"UE2_{c}"] for c in ("COD", "NOTE", "RES")] == ["RSV207", "15,00", "ADM"]
    assert only_207["ECTS_INSCRITS"] == "4"


@pytest.mark.usefixtures("certificate_pdf_not_rendered")
def test_after_the_jury_the_file_is_final_with_each_decision_and_the_certificate(client, world):
    registrar = RegistrarFactory()
    jury = deliberate(world["py"], by=registrar)
    certificate = services.certificate_issue(enrolment=world["passed"], by=registrar)
    # A correction after the jury does not enter the file before the next deliberation.
    Grade.objects.filter(enrolment=world["passed"], assessment__key="RSV207-CT").update(
        value=Decimal("5")
    )
    client.force_login(registrar)
    response, text = _csv(client, world["py"])
    assert response["Content-Disposition"] == (
        'attachment; filename="export-officiel-cs2600a-2024-2025-definitif.csv"'
    )
    _header, rows = _rows(text)
    day = timezone.localdate(jury.deliberated_at).strftime("%d/%m/%Y")
    decided = {
        n: (r["STATUT_EXPORT"], r["DEC_JURY"], r["DAT_JURY"], r["NUM_PV"]) for n, r in rows.items()
    }
    assert decided == {
        "2400001": ("DEFINITIF", "ADM", day, "1"),
        "2400002": ("DEFINITIF", "AJ", day, "1"),
        "2400003": ("DEFINITIF", "DEF", day, "1"),
        "2400004": ("DEFINITIF", "ATT", day, "1"),
        "2400006": ("DEFINITIF", "ADM", day, "1"),
    }
    assert rows["2400001"]["NUM_CERT"] == certificate.number
    assert rows["2400001"]["UE2_NOTE"] == "12,00"
    assert rows["2400002"]["NUM_CERT"] == ""


def test_the_csv_is_utf8_with_bom_semicolons_crlf_and_decimal_commas(client, world):
    client.force_login(RegistrarFactory())
    raw = client.get(_url(world["py"], "csv")).content
    assert raw.startswith(b"\xef\xbb\xbfSTATUT_EXPORT;COD_ANU;COD_DIP;COD_ETU;")
    assert b"\r\n" in raw
    assert b";14,00;ADM;8;" in raw
    assert "INÈS".encode() not in raw  # first names keep their case
    assert "Inès".encode() in raw


def test_formulas_are_neutralised_in_the_csv(client, world):
    client.force_login(RegistrarFactory())
    _response, text = _csv(client, world["py"])
    _header, rows = _rows(text)
    assert rows["2400006"]["NOM"] == '\'=HYPERLINK("HTTP://X")'
    assert rows["2400006"]["PRENOM"] == "'@SUM(1)"


def test_the_xlsx_has_numbers_dates_and_text_cells_and_no_formula(client, world):
    client.force_login(RegistrarFactory())
    response = client.get(_url(world["py"], "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == official_export.XLSX_TYPE
    assert response["Content-Disposition"].endswith('provisoire.xlsx"')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name)
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(ws.iter_rows(values_only=False))
    header = [c.value for c in values[0]]
    assert header == official_export.headers(2)
    col = {code: i for i, code in enumerate(header)}
    by_number = {row[col["COD_ETU"]].value: row for row in values[1:]}
    passed = by_number["2400001"]
    assert passed[col["COD_ETU"]].data_type == "s"
    assert passed[col["UE1_NOTE"]].value == 14.0
    assert passed[col["UE1_NOTE"]].data_type == "n"
    assert passed[col["UE1_NOTE"]].number_format == "0.00"
    assert passed[col["UE1_ECTS"]].value == 8
    assert passed[col["ECTS_ACQUIS"]].value == 12
    assert passed[col["TAUX_ABS"]].value == 0.0
    assert passed[col["DATE_NAI"]].value == dt.datetime(1990, 4, 2)
    assert passed[col["DATE_NAI"]].is_date
    assert passed[col["DEC_JURY"]].value is None
    assert by_number["2400004"][col["UE1_NOTE"]].value == "ABJ"
    formula = by_number["2400006"]
    assert formula[col["NOM"]].value == '\'=HYPERLINK("HTTP://X")'
    assert formula[col["NOM"]].data_type == "s"
    assert formula[col["PRENOM"]].value == "'@SUM(1)"


def test_registrar_only_and_known_formats_only(client, world):
    py = world["py"]
    url = _url(py, "csv")
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]
    teacher = StaffFactory(ues=[py.ues.first()])
    client.force_login(teacher)
    assert client.get(url).status_code == 403
    client.force_login(world["passed"].student.user)
    assert client.get(url).status_code == 403
    client.force_login(RegistrarFactory())
    assert client.get(_url(py, "json")).status_code == 404
    assert client.get(_url(py, "pdf")).status_code == 404
    missing = reverse(
        "certification:registrar-official-export",
        kwargs={"programme_year_id": 999999, "fmt": "csv"},
    )
    assert client.get(missing).status_code == 404


def test_the_jury_page_links_to_both_files(client, world):
    client.force_login(RegistrarFactory())
    page = client.get(reverse("certification:registrar-jury", args=[world["py"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert _url(world["py"], "csv") in html
    assert _url(world["py"], "xlsx") in html
