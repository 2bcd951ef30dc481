"""Cells written to CSV/XLSX for spreadsheets: never let one start a formula (SECURITY.md #11).

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula (or DDE call) by Excel and LibreOffice; prefixing it with ``'`` makes it plain text.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """The cell as text, prefixed with ``'`` when a spreadsheet would read it as a formula."""
    text = "" if cell is None else str(cell)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def neutralise_row(cells: list[object]) -> list[str]:
    return [neutralise(cell) for cell in cells]
