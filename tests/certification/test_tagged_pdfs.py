"""A certificate a screen reader can read: tagged PDF/A-3a, its heading, its table's header
cells, its two images and its language (issue 14)."""

from io import BytesIO

from pypdf import PdfReader

from certification import services
from tests.pdf_builders import structure_roles


def test_an_issued_certificate_is_a_tagged_pdf_with_headings_and_table_headers(
    deliberated, registrar
):
    cert = services.certificate_issue(enrolment=deliberated["enrolments"][0], by=registrar)
    data = cert.pdf.read()
    reader = PdfReader(BytesIO(data))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "fr"
    assert reader.metadata.title == f"Certificat {cert.number}"
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:conformance="A"' in xmp
    roles = structure_roles(data)
    assert roles["/H1"] == 1
    assert roles["/Table"] == 1
    assert roles["/TH"] == 3
    assert roles["/Figure"] == 2  # the Cnam logo and the QR code
