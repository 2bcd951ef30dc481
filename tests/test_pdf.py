"""The PDF foundation (lib/pdf.py, lib/downloads.py): what a PDF may fetch, what it
carries (tagged PDF/A-3a, metadata) and that a long-lived process does not keep growing."""

import zlib
from io import BytesIO

import pytest
from pypdf import PdfReader
from weasyprint.urls import URLFetchingError

from lib import pdf
from lib.downloads import ascii_filename, pdf_response
from tests.pdf_builders import document_case, pdf_text, scolarite_certificate, structure_roles

EVIL = '<link rel="attachment" href="file:///etc/passwd">'
BASE = pdf.BASE_URL.rstrip("/")


def render(last_name: str = "Dupont") -> bytes:
    return pdf.render_pdf(
        "enrolment/pdf/scolarite.html",
        {"certificate": scolarite_certificate(last_name)},
        title="Essai",
    )


def raw_bytes(data: bytes) -> bytes:
    """Every stream of the file decompressed, so a leaked file could not hide in Flate."""
    reader = PdfReader(BytesIO(data))
    chunks = [data]
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if hasattr(obj, "get_data"):
            try:
                chunks.append(obj.get_data())
            except (zlib.error, ValueError, NotImplementedError):
                continue
    return b"\n".join(chunks)


# --- The fetcher -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/static/css/pdf.css",
        "https://example.org/static/css/pdf.css",
        f"{BASE}/static/../cnam_cs/settings.py",
        f"{BASE}/static/%2e%2e/cnam_cs/settings.py",
        f"{BASE}/static/css/..%2f..%2fcnam_cs%2fsettings.py",
        f"{BASE}/static//etc/passwd",
        f"{BASE}/static/fonts/README.md/../../../manage.py",
        f"{BASE}/cnam_cs/settings.py",
        f"{BASE}/static/bootstrap/css/bootstrap.min.css",
        "data:text/plain;base64,cm9vdDp4OjA6MA==",
    ],
)
def test_fetcher_refuses_anything_but_bundled_static_files(url):
    with pytest.raises(ValueError, match="Ressource refusée"):
        pdf.StaticOnlyFetcher().fetch(url)


def test_fetcher_serves_the_pdf_stylesheet_and_fonts():
    fetcher = pdf.StaticOnlyFetcher()
    css = fetcher.fetch(f"{BASE}/static/css/pdf.css")
    assert css.content_type == "text/css"
    assert b"@font-face" in css.read()
    font = fetcher.fetch(f"{BASE}/static/fonts/LiberationSans-Regular.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"
    # Inline images (a generated QR code) are allowed: they disclose nothing local.
    png = fetcher.fetch("data:image/png;base64,iVBORw0KGgo=")
    assert png.read().startswith(b"\x89PNG")


def test_weasyprint_reports_a_refused_url_as_a_fetching_error():
    # WeasyPrint wraps fetcher errors: a refused resource is skipped, never fatal.
    from weasyprint.urls import fetch

    with pytest.raises(URLFetchingError), fetch(pdf.StaticOnlyFetcher(), "file:///etc/passwd"):
        pass


# --- Injection ----------------------------------------------------------------------------------


def test_attack_9_a_name_carrying_an_attachment_link_embeds_nothing():
    data = render(last_name=EVIL)
    reader = PdfReader(BytesIO(data))
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    assert "/AF" not in reader.trailer["/Root"]
    assert b"root:" not in raw_bytes(data)
    assert 'HREF="FILE:///ETC/PASSWD"' in pdf_text(data)  # printed as text, harmlessly


def test_even_raw_html_with_an_attachment_link_embeds_nothing(monkeypatch):
    # Defence in depth: were escaping ever bypassed, neither the fetcher nor render_pdf embeds.
    html = f"<html><head>{EVIL}<link rel=stylesheet href='file:///etc/passwd'></head>"
    html += "<body><img src='file:///etc/passwd'><p>Essai</p></body></html>"
    monkeypatch.setattr(pdf, "render_to_string", lambda *args, **kwargs: html)
    data = pdf.render_pdf("unused.html", {}, title="Essai")
    reader = PdfReader(BytesIO(data))
    assert "/Names" not in reader.trailer["/Root"]
    assert b"root:" not in raw_bytes(data)
    assert "Essai" in pdf_text(data)


# --- PDF/A and metadata -------------------------------------------------------------------------


def test_pdf_is_tagged_pdf_a_3a_with_french_metadata():
    reader = PdfReader(BytesIO(render()))
    assert reader.metadata.title == "Essai"
    assert reader.metadata.author == "Cnam — EPN12 Santé-Solidarité"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp
    assert b'pdfaid:conformance="A"' in xmp
    assert "Cnam — EPN12 Santé-Solidarité".encode() in xmp


def test_every_pdf_of_the_portal_is_tagged():
    data = render()
    root = PdfReader(BytesIO(data)).trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    roles = structure_roles(data)
    assert roles["/Document"] == 1
    assert roles["/H1"] == 1


def test_pdf_carries_the_identity_and_numbered_pages():
    text = pdf_text(render())
    assert "EPN12 Santé-Solidarité" in text
    assert "2 rue Conté, 75003 Paris" in text
    assert "SCOL-CS2600A-2024-2025-2400017 · Délivré le" in text
    assert "Page 1 / 1" in text


# --- Downloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Relevé de notes 2400017", "releve-de-notes-2400017.pdf"),
        ("releve-de-notes-2400017.pdf", "releve-de-notes-2400017.pdf"),
        ('a"b\r\nSet-Cookie: x=1', "ab-set-cookie-x1.pdf"),
        ("日本", "document.pdf"),
    ],
)
def test_download_file_names_are_plain_ascii(name, expected):
    assert ascii_filename(name) == expected


def test_pdf_response_is_an_uncached_attachment():
    response = pdf_response(b"%PDF-1.7", "Relevé de notes 2400017")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="releve-de-notes-2400017.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b"%PDF-1.7"


# --- Every document, end to end ----------------------------------------------------------------


@pytest.mark.django_db
def test_every_student_document_parses_and_says_what_it_must(client):
    from django.urls import reverse

    case = document_case()
    client.force_login(case.enrolment.student.user)
    expected = {
        reverse("enrolment:scolarite-pdf", args=[case.enrolment.pk]): "est inscrit(e)",
        reverse("grading:transcript-pdf", args=[case.enrolment.pk]): "12,50",
        reverse("certification:convocation-pdf", args=[case.enrolment.pk, case.exam.pk]): (
            "fin à 16 h 20"
        ),
    }
    for url, words in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith('attachment; filename="')
        assert response["Content-Disposition"].isascii()
        text = pdf_text(response.content)
        assert "DUPONT-LEFÈVRE" in text and words in text, url
