"""Where one certificate's render spends its CPU.

    .venv/bin/python bench/pdf_phases.py [--runs 30]

The certificate of ``bench/certificates.py`` (no database), rendered ``--runs`` times by the
portal's ``render_pdf`` with a fresh QR code each time, as ``certificate_finish`` does. Each
step of WeasyPrint is timed in CPU seconds of this process (``time.process_time``: less
disturbed by other processes than the wall clock) by wrapping the function that does it; the
table gives the mean per render and its share of the whole. Indented lines are parts of the
line above. The load average is printed: on a busy machine the milliseconds grow, the shares
much less.
"""

import argparse
import collections
import functools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import pydyf
import weasyprint
import weasyprint.document
import weasyprint.layout.absolute
import weasyprint.pdf
from certificates import _sample_certificate  # sets Django up
from report import say

from certification import documents, qr
from lib import pdf

spent: collections.Counter[str] = collections.Counter()


def _timed(owner: Any, name: str, label: str) -> None:
    """Replace ``owner.name`` by a wrapper adding its CPU time to ``spent[label]``."""
    function: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    setattr(owner, name, wrapper)


# (owner, attribute, label) in the order of a render; the owner is where the caller looks
# the name up. Generators (layout) cannot be timed this way: layout is what remains of render().
LAYOUT = "  mise en page (le reste de render())"
STEPS = [
    (qr, "qr_png_data_uri", "QR code (segno, PNG)"),
    (pdf, "render_to_string", "gabarit Django"),
    (weasyprint.HTML, "__init__", "analyse HTML (tinyhtml5)"),
    (weasyprint.document.Document, "_render", "render() : cascade + arbre + mise en page"),
    (weasyprint.document, "get_all_computed_styles", "  cascade des styles"),
    (weasyprint.CSS, "__init__", "    dont <style> du gabarit"),
    (weasyprint.document, "build_formatting_structure", "  arbre des boîtes"),
    (weasyprint.layout.absolute, "shrink_to_fit", "    dont « shrink-to-fit » (lib/pdf.py)"),
    (weasyprint.document, "generate_pdf", "construction du PDF"),
    (weasyprint.document, "draw_page", "  dessin"),
    (weasyprint.pdf, "build_fonts_dictionary", "  sous-ensembles des polices"),
    (weasyprint.pdf, "add_tags", "  balisage"),
    (pydyf.PDF, "write", "écriture du PDF (pydyf, zlib)"),
]


def measure(runs: int = 30) -> list[tuple[str, float, float]]:
    """``(label, ms per render, share of the render)`` for each step, then the total."""
    for owner, name, label in STEPS:
        _timed(owner, name, label)
    certificate = _sample_certificate()
    url = certificate.snapshot["verification_url"]

    def render() -> bytes:
        context = documents.certificate_context(certificate, qr_png=qr.qr_png_data_uri(url))
        return pdf.render_pdf("certification/pdf/certificate.html", context, title="Certificat")

    render()  # warm-up: fonts, stylesheet, templates
    spent.clear()
    totals = []
    for _ in range(runs):
        start = time.process_time()
        render()
        totals.append(time.process_time() - start)
    whole = sum(totals)
    spent[LAYOUT] = spent[STEPS[3][2]] - spent[STEPS[4][2]] - spent[STEPS[6][2]]
    labels = [label for _, _, label in STEPS]
    labels.insert(labels.index(STEPS[7][2]), LAYOUT)
    rows = [(label, 1000 * spent[label] / runs, spent[label] / whole) for label in labels]
    rows.append(("total (médiane)", 1000 * statistics.median(totals), 1.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    say(f"charge moyenne au départ : {os.getloadavg()[0]:.2f}")
    for label, ms, share in measure(args.runs):
        say(f"{label:<45} {ms:7.1f} ms {100 * share:5.1f} %")
    say(f"charge moyenne à la fin : {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
