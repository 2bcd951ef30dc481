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


def test_the_visible_signature_is_in_the_structure_tree_and_names_its_signatory(
    deliberated, registrar
):
    """PDF/UA-1 § 7.18.1: an annotation belongs to the structure tree; the widget is found
    from its StructParent key, and its Form element points back to it."""
    cert = services.certificate_issue(enrolment=deliberated["enrolments"][0], by=registrar)
    reader = PdfReader(BytesIO(cert.pdf.read()))
    (widget_ref,) = [ref for ref in reader.pages[0]["/Annots"] if ref.get_object()["/FT"] == "/Sig"]
    widget = widget_ref.get_object()
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    parents = dict(zip(nums[::2], nums[1::2], strict=True))
    form_ref = parents[widget["/StructParent"]]
    form = form_ref.get_object()
    assert form["/S"] == "/Form"
    assert form["/K"]["/Type"] == "/OBJR"
    assert form["/K"].raw_get("/Obj").idnum == widget_ref.idnum
    assert form["/K"].raw_get("/Pg").idnum == reader.pages[0].indirect_reference.idnum
    assert form["/Alt"].startswith("Signé électroniquement par ")
    assert widget["/TU"] == form["/Alt"]
    document = form["/P"].get_object()
    assert document["/S"] == "/Document"
    assert form_ref.idnum in [kid.idnum for kid in document["/K"]]
    assert tree["/ParentTreeNextKey"] == widget["/StructParent"] + 1
