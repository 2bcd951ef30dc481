"""The grid as a spreadsheet and back: XLSX (openpyxl) and CSV, export, parse, preview.

A file carries, besides the visible columns, the assessment it belongs to and each grade's
version at export, so that a file for another assessment or a stale file is reported.
"""

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openpyxl
from django.utils.translation import gettext
from openpyxl.styles import Font

from lib.spreadsheet_safety import (
    SpreadsheetRejected,
    check_xlsx,
    csv_decode,
    neutralise,
    sniff_kind,
)

from . import codes, rules
from .codes import CODES
from .models import Assessment, Grade
from .selectors import Grid, GridRow

HEADERS = ["Numéro", "Nom", "Prénom", "Note", "Rapport", "Évaluation", "Version"]
MAX_ROWS = 5000


def assessment_token(assessment: Assessment) -> str:
    """What a file names its assessment with: readable, and exact thanks to the id."""
    return f"{assessment.ue.code}/{assessment.key}#{assessment.pk}"


def _cell_text(grade: Grade | None) -> str:
    if grade is None:
        return ""
    if grade.status == Grade.Status.GRADED:
        return rules.format_grade(grade.value)
    return CODES[grade.status]


def export_rows(grid: Grid) -> Iterator[list[str]]:
    token = assessment_token(grid.assessment)
    for row in grid.rows:
        student = row.enrolment.student
        grade = row.grade
        yield [
            student.number,
            student.last_name,
            student.first_name,
            _cell_text(grade),
            grade.plagiarism_report if grade else "",
            token,
            str(row.version),
        ]


def export_csv(grid: Grid) -> bytes:
    """UTF-8 with BOM and « ; » (what French Excel opens directly); formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for values in export_rows(grid):
        writer.writerow([neutralise(v) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _text_cell(ws: object, row: int, column: int, value: str) -> None:
    cell = ws.cell(row=row, column=column)  # type: ignore[attr-defined]
    cell.value = value
    cell.data_type = "s"  # openpyxl would otherwise write « =… » as a formula (SECURITY.md #11)
    cell.number_format = "@"


def export_xlsx(grid: Grid) -> bytes:
    """Every cell a text cell except grades, written as numbers; no formula anywhere."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Notes"[:31]
    for column, title in enumerate(HEADERS, start=1):
        _text_cell(ws, 1, column, title)
        ws.cell(row=1, column=column).font = Font(bold=True)
    for r, values in enumerate(export_rows(grid), start=2):
        grade = grid.rows[r - 2].grade
        for column, value in enumerate(values, start=1):
            if column == 4 and grade is not None and grade.status == Grade.Status.GRADED:
                cell = ws.cell(row=r, column=column, value=float(grade.value or 0))
                cell.number_format = "0.00"
            else:
                _text_cell(ws, r, column, value)
    for letter, width in zip("ABCDEFG", (12, 22, 18, 10, 30, 22, 9), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---- Import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawCell:
    text: str
    formula: bool = False
    number: Decimal | None = None


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: dict[str, RawCell]


def _norm(title: object) -> str:
    text = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode()
    return text.strip().lower()


COLUMN_KEYS = {_norm(h): h for h in HEADERS}
COLUMN_KEYS.update({"numero etudiant": "Numéro", "n": "Numéro", "no": "Numéro"})


def _csv_rows(data: bytes) -> list[list[RawCell]]:
    text = csv_decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for values in reader:
        rows.append([RawCell(v) for v in values])
        if len(rows) > MAX_ROWS + 1:
            raise SpreadsheetRejected(
                gettext("Fichier trop long : %(n)s lignes au plus.") % {"n": MAX_ROWS}
            )
    return rows


def _xlsx_rows(data: bytes) -> list[list[RawCell]]:
    check_xlsx(data)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SpreadsheetRejected(gettext("Fichier XLSX illisible.")) from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for cells in ws.iter_rows():
            row = []
            for cell in cells:
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    row.append(RawCell(str(value), formula=True))
                elif isinstance(value, bool):
                    row.append(RawCell(str(value)))
                elif isinstance(value, int | float):
                    number = Decimal(str(value))
                    row.append(RawCell(f"{number:f}", number=number))
                else:
                    row.append(RawCell("" if value is None else str(value)))
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise SpreadsheetRejected(
                    gettext("Fichier trop long : %(n)s lignes au plus.") % {"n": MAX_ROWS}
                )
        return rows
    finally:
        wb.close()


def read_table(data: bytes) -> list[RawRow]:
    """Rows of the first sheet (or the CSV) keyed by known column titles."""
    kind = sniff_kind(data)
    table = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    if not table:
        raise SpreadsheetRejected(gettext("Le fichier est vide."))
    header = [COLUMN_KEYS.get(_norm(c.text)) for c in table[0]]
    for required in ("Numéro", "Note", "Évaluation"):
        if required not in header:
            raise SpreadsheetRejected(
                gettext(
                    "Colonne « %(column)s » absente : partez d'un fichier exporté depuis la grille."
                )
                % {"column": required}
            )
    out = []
    for line, cells in enumerate(table[1:], start=2):
        keyed = {title: cells[i] for i, title in enumerate(header) if title and i < len(cells)}
        if not any(c.text.strip() for c in keyed.values()):
            continue
        out.append(RawRow(line, keyed))
    return out


@dataclass(frozen=True)
class PreviewChange:
    line: int
    enrolment_id: int
    number: str
    name: str
    old: str
    new: str
    status: str
    value: Decimal | None
    report: str
    expected_version: int


@dataclass(frozen=True)
class RowError:
    line: int
    number: str
    reason: str


@dataclass
class ImportPreview:
    changes: list[PreviewChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0
    blank: int = 0

    @property
    def can_apply(self) -> bool:
        return bool(self.changes) and not self.errors

    def to_session(self, assessment: Assessment) -> dict[str, object]:
        return {
            "assessment": assessment.pk,
            "changes": [
                [
                    c.enrolment_id,
                    c.status,
                    None if c.value is None else str(c.value),
                    c.report,
                    c.expected_version,
                ]
                for c in self.changes
            ],
        }


def _show(status: str, value: Decimal | None) -> str:
    if status == Grade.Status.GRADED:
        return rules.format_grade(value)
    return CODES.get(status, "—")  # type: ignore[call-overload]


def _wanted(cell: RawCell) -> tuple[str, Decimal | None]:
    """(status, value) asked by a non-blank grade cell; raises GradeInputError."""
    if cell.formula:
        raise rules.GradeInputError(
            gettext("Formule refusée : saisissez une valeur, pas une formule.")
        )
    status = codes.status_of(cell.text)
    if status is not None:
        return status, None
    if cell.number is not None:
        try:
            text = f"{cell.number.normalize():f}"
        except InvalidOperation:
            text = cell.text
        return Grade.Status.GRADED, rules.parse_grade(text)
    return Grade.Status.GRADED, rules.parse_grade(cell.text)


def _version(cell: RawCell | None) -> int | None:
    if cell is None or not cell.text.strip():
        return None
    text = cell.text.strip()
    if cell.number is not None:
        text = f"{cell.number.normalize():f}"
    return int(text) if text.isdigit() and text.isascii() else -1


def import_preview(grid: Grid, table: Sequence[RawRow]) -> ImportPreview:
    """Every change (old → new) and every error (line, reason); no query."""
    preview = ImportPreview()
    token = assessment_token(grid.assessment)
    by_number = {row.enrolment.student.number: row for row in grid.rows}
    numbers = Counter(
        r.cells["Numéro"].text.strip() for r in table if r.cells.get("Numéro") is not None
    )
    for raw in table:
        number = _row_number(raw)
        found = _matching_row(grid, raw, number, token=token, by_number=by_number, numbers=numbers)
        if isinstance(found, str):
            preview.errors.append(RowError(raw.line, number, found))
            continue
        note = raw.cells.get("Note")
        if note is None or (not note.text.strip() and not note.formula):
            preview.blank += 1  # a blank cell never erases a grade
            continue
        outcome = _row_change(raw, found, number, note)
        if outcome is None:
            preview.unchanged += 1
        elif isinstance(outcome, str):
            preview.errors.append(RowError(raw.line, number, outcome))
        else:
            preview.changes.append(outcome)
    preview.errors.sort(key=lambda e: e.line)
    return preview


def _row_number(raw: RawRow) -> str:
    """The student number of a line, without the apostrophe a spreadsheet may keep."""
    number_cell = raw.cells.get("Numéro")
    number = number_cell.text.strip() if number_cell else ""
    if number.startswith("'"):
        number = number[1:]
    return number


def _matching_row(
    grid: Grid,
    raw: RawRow,
    number: str,
    *,
    token: str,
    by_number: Mapping[str, GridRow],
    numbers: Counter[str],
) -> GridRow | str:
    """The grid's row a line is about, or why the line cannot be read."""
    evaluation = raw.cells.get("Évaluation")
    if evaluation is None or evaluation.text.strip() != token:
        found = evaluation.text.strip() if evaluation else gettext("vide")
        return gettext(
            "Ligne d'une autre évaluation (%(found)s) : "
            "ce fichier n'est pas celui de %(assessment)s."
        ) % {"found": found, "assessment": grid.assessment.key}
    if not number:
        return gettext("Numéro d'élève manquant.")
    if numbers[number] > 1:
        return gettext("Numéro %(number)s présent plusieurs fois dans le fichier.") % {
            "number": number
        }
    row = by_number.get(number)
    if row is None and grid.assessment.makeup_of_id is not None:
        return gettext(
            "Numéro %(number)s : pas d'absence justifiée à %(assessment)s, "
            "cet·te élève n'est pas concerné·e par ce rattrapage."
        ) % {"number": number, "assessment": grid.assessment.makeup_of.key}
    if row is None:
        return gettext("Numéro %(number)s inconnu : cet·te élève ne suit pas l'UE.") % {
            "number": number
        }
    return row


def _row_change(
    raw: RawRow, row: GridRow, number: str, note: RawCell
) -> PreviewChange | str | None:
    """The change a line asks for, why it is refused, or None when it changes nothing."""
    try:
        status, value = _wanted(note)
    except rules.GradeInputError as exc:
        return codes.grade_error(exc)
    report_cell = raw.cells.get("Rapport")
    report = report_cell.text.strip() if report_cell else ""
    grade = row.grade
    if status == Grade.Status.PLAGIARISM and not report:
        if grade is not None and grade.plagiarism_report:
            report = grade.plagiarism_report
        else:
            return gettext("Le plagiat exige un court rapport (colonne « Rapport »).")
    current = (grade.status, grade.value) if grade else None
    if current == (status, value) and (
        status != Grade.Status.PLAGIARISM or report == grade.plagiarism_report  # type: ignore[union-attr]
    ):
        return None
    version = _version(raw.cells.get("Version"))
    if version is not None and version != row.version:
        now = _show(*current) if current else "—"
        return gettext(
            "La note a été modifiée depuis l'export (actuelle : %(now)s) : "
            "exportez à nouveau le fichier."
        ) % {"now": now}
    if grade is not None and grade.locked:
        return gettext("Note verrouillée après le jury.")
    student = row.enrolment.student
    return PreviewChange(
        line=raw.line,
        enrolment_id=row.enrolment.pk,
        number=number,
        name=f"{student.last_name} {student.first_name}",
        old=_show(*current) if current else "—",
        new=_show(status, value),
        status=status,
        value=value,
        report=report if status == Grade.Status.PLAGIARISM else "",
        expected_version=row.version,
    )
