"""Spreadsheets in and out, safely (SECURITY.md #11–#14, #17).

Exports: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
as a formula (or DDE call) by Excel and LibreOffice; prefixing it with ``'`` makes it plain
text. Imports: the file is recognised by its bytes (not its name), and an XLSX archive is
checked before any XML parser sees it: entry count, declared uncompressed size, macros, DTDs
and entities.
"""

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal

import openpyxl
from django.utils.translation import gettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """The cell as text, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    text = "" if cell is None else str(cell)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


MAX_XLSX_ENTRIES = 100
MAX_XLSX_UNCOMPRESSED = 20 * 1024 * 1024
_XML_SCAN_BYTES = 4096  # a DOCTYPE can only stand before the root element


class SpreadsheetRejected(ValueError):
    """An upload refused before parsing; ``message`` is French, ready for the page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff_kind(data: bytes) -> str:
    """« xlsx » or « csv » from the file's bytes; raises for anything else."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"MZ") or data.startswith(b"\x7fELF"):
        raise SpreadsheetRejected(
            "Ce fichier est un programme, pas un tableur : déposez un fichier XLSX ou CSV."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetRejected(
            "Ancien format Excel (.xls) non pris en charge : enregistrez le fichier en XLSX ou CSV."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise SpreadsheetRejected(
            "Fichier texte en UTF-16 ou binaire : enregistrez-le en CSV UTF-8 ou Windows-1252."
        )
    if data.startswith(b"%PDF"):
        raise SpreadsheetRejected("Ce fichier est un PDF : déposez un fichier XLSX ou CSV.")
    return "csv"


def check_xlsx(data: bytes) -> None:
    """Refuse zip bombs, huge archives, macro workbooks and XML with DTD/entities."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SpreadsheetRejected("Fichier XLSX illisible (archive endommagée).") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_XLSX_ENTRIES:
            raise SpreadsheetRejected(
                f"Fichier XLSX refusé : trop d'éléments dans l'archive ({len(entries)})."
            )
        declared = sum(info.file_size for info in entries)
        if declared > MAX_XLSX_UNCOMPRESSED:
            raise SpreadsheetRejected(
                "Fichier XLSX refusé : son contenu décompressé dépasse 20 Mo."
            )
        names = {info.filename for info in entries}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise SpreadsheetRejected("Ce fichier n'est pas un classeur XLSX.")
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise SpreadsheetRejected(
                "Classeur avec macros (.xlsm) refusé : enregistrez-le en XLSX sans macros."
            )
        for info in entries:
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            with archive.open(info) as member:
                # Read by chunks with a running cap: the declared size may lie.
                read = 0
                head = b""
                while chunk := member.read(65536):
                    read += len(chunk)
                    if read > MAX_XLSX_UNCOMPRESSED:
                        raise SpreadsheetRejected(
                            "Fichier XLSX refusé : son contenu décompressé dépasse 20 Mo."
                        )
                    if len(head) < _XML_SCAN_BYTES:
                        head += chunk[: _XML_SCAN_BYTES - len(head)]
                    if b"<!ENTITY" in chunk or b"<!DOCTYPE" in chunk:
                        raise SpreadsheetRejected(
                            "Fichier XLSX refusé : il déclare des entités XML (DOCTYPE)."
                        )
                if b"macroEnabled" in head and info.filename == "[Content_Types].xml":
                    raise SpreadsheetRejected(
                        "Classeur avec macros (.xlsm) refusé : enregistrez-le en XLSX sans macros."
                    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XlsxValue = str | int | float | Decimal | dt.date | None


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[XlsxValue]], *, title: str) -> bytes:
    """One sheet, header in bold and frozen: numbers as numbers (two decimals for the
    non-integers), dates as dates, every other cell a neutralised text cell — no formula
    anywhere, whatever the text says."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def text(value: str, *, font: Font | None = None) -> Cell:
        cell = WriteOnlyCell(ws, value=neutralise(value))
        cell.data_type = "s"  # openpyxl would otherwise read « =… » as a formula
        if font is not None:
            cell.font = font
        return cell

    def cell_of(value: XlsxValue) -> Cell:
        if value is None:
            return WriteOnlyCell(ws, value=None)
        if isinstance(value, bool | str):
            return text(str(value))
        if isinstance(value, int):
            return WriteOnlyCell(ws, value=value)
        if isinstance(value, float | Decimal):
            cell = WriteOnlyCell(ws, value=float(value))
            cell.number_format = "0.00"
            return cell
        cell = WriteOnlyCell(ws, value=dt.datetime.combine(value, dt.time()))
        cell.number_format = "DD/MM/YYYY"
        return cell

    ws.append([text(h, font=bold) for h in header])
    for row in rows:
        ws.append([cell_of(value) for value in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_decode(data: bytes) -> str:
    """A CSV's text: UTF-8 (with or without BOM), else Windows-1252 (Excel's French CSV)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRejected(gettext("Encodage du CSV non reconnu : enregistrez-le en UTF-8."))
