"""The official list of the browser test: 30 fictitious students of CS2600A 2025-2026.

Run ``.venv/bin/python -m tests.data.make_roster_sample`` to write
``tests/data/liste-officielle-2025-2026.xlsx`` again; tests build their own files with
``roster_workbook``.
"""

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl

SAMPLE = Path(__file__).with_name("liste-officielle-2025-2026.xlsx")
HEADERS = ["N° auditeur", "Nom", "Prénom", "Date de naissance", "Courriel", "Téléphone"]

_PEOPLE = [
    ("Garnier", "Inès"),
    ("Lemoine", "Théo"),
    ("Chevalier", "Manon"),
    ("Faure", "Lucas"),
    ("Brunet", "Léa"),
    ("Roussel", "Mathis"),
    ("Gauthier", "Chloé"),
    ("Perrin", "Nathan"),
    ("Morel", "Jade"),
    ("Fontaine", "Enzo"),
    ("Mercier", "Louise"),
    ("Dupuis", "Gabriel"),
    ("Lambert", "Zoé"),
    ("Bonnet", "Raphaël"),
    ("François", "Anaïs"),
    ("Martinez", "Hugo"),
    ("Legrand", "Clémence"),
    ("Garcia", "Yanis"),
    ("Boyer", "Sarah"),
    ("Blanchard", "Maël"),
    ("Guérin", "Océane"),
    ("Muller", "Adam"),
    ("Henry", "Élise"),
    ("Roche", "Noé"),
    ("Nicolas", "Juliette"),
    ("Masson", "Sacha"),
    ("Marchand", "Lina"),
    ("Duval", "Tom"),
    ("Denis", "Margaux"),
    ("Lefebvre", "Baptiste"),
]


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def sample_rows(count: int = 30, *, first_number: int = 2500101) -> list[list[object]]:
    """``count`` plausible students (numbers from ``first_number``), e-mails @example.org."""
    rows: list[list[object]] = []
    for i in range(count):
        last, first = _PEOPLE[i % len(_PEOPLE)]
        rows.append(
            [
                str(first_number + i),
                last,
                first,
                dt.date(1980 + i % 20, 1 + i % 12, 1 + (i * 7) % 28),
                f"{_ascii(first)}.{_ascii(last)}{'' if i < len(_PEOPLE) else i}@example.org",
                f"06 12 34 {i // 10 % 10}{i % 10} {10 + i:02d}",
            ]
        )
    return rows


def roster_workbook(rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADERS) -> bytes:
    """An XLSX holding ``headers`` then ``rows``; a text starting with « = » becomes a
    formula cell, as Excel would store it."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Inscrits"
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


if __name__ == "__main__":
    SAMPLE.write_bytes(roster_workbook(sample_rows()))
