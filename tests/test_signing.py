"""PAdES signing and verification (lib/signing.py), the signing key's deployment check, and
what a signature keeps of a PDF/A-3a document. Library level: no database.

The session's keys come from tests/conftest.py (``signing_keys``): every test signs with
« Cnam EPN12 (tests) » unless it configures another key.
"""

import asyncio
import datetime as dt
import hashlib
import logging
import multiprocessing
import re
import socket
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.apps import apps
from django.core.checks import Error, Tags, run_checks
from django.utils import timezone
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import DummyTimeStamper
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from cnam_cs.checks import signing_key_check
from lib import signing
from lib.signing import (
    DEMO_SUBJECT,
    INVALID,
    MODIFIED,
    OTHER_CERTIFICATE,
    UNSIGNED,
    VALID,
    SignatureBox,
    SigningKeyError,
    generate_self_signed,
    key_problems,
    sign_pdf,
    verify_pdf,
)
from tests.conftest import SigningKeys
from tests.test_pdf import render

BOX = SignatureBox(page=-1, box=(340, 40, 560, 90))


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    """A real portal PDF (tagged PDF/A-3a), rendered once for the module."""
    return render()


def fingerprint(p12: Path, passphrase: str) -> str:
    certificate = certificate_of(p12, passphrase)
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def certificate_of(p12: Path, passphrase: str) -> x509.Certificate:
    _key, certificate, _chain = pkcs12.load_key_and_certificates(
        p12.read_bytes(), passphrase.encode()
    )
    assert certificate is not None
    return certificate


def use_key(settings: Any, p12: Path, passphrase: str) -> None:
    settings.SIGNING_PKCS12_PATH = str(p12)
    settings.SIGNING_PASSPHRASE = passphrase


# --- Signing and verifying ---------------------------------------------------------------------


def test_signed_document_verifies_with_signatory_and_date(
    unsigned: bytes, signing_keys: SigningKeys
) -> None:
    before = timezone.now().replace(microsecond=0)
    signed = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    after = timezone.now()

    found = verify_pdf(signed)

    assert found.outcome == VALID
    assert found.signatory == "Cnam EPN12 (tests)"
    assert found.signed_at is not None
    assert before <= found.signed_at <= after
    assert found.certificate_fingerprint == fingerprint(
        signing_keys.portal, signing_keys.passphrase
    )
    assert (found.current, found.demo, found.timestamped) == (True, False, False)
    assert signed.startswith(unsigned)  # an incremental update: the original bytes stay


def test_invisible_signature_verifies(unsigned: bytes) -> None:
    assert verify_pdf(sign_pdf(unsigned, reason="Relevé de notes")).outcome == VALID


def test_an_invisible_signature_lies_off_the_page_printable_and_untagged(unsigned: bytes) -> None:
    """PDF/A wants the print flag (which forbids the hidden one); PDF/UA exempts a widget
    outside the page from the structure tree."""
    reader = PdfReader(BytesIO(sign_pdf(unsigned, reason="Relevé de notes")))
    (widget,) = [a.get_object() for a in reader.pages[-1]["/Annots"]]
    assert widget["/FT"] == "/Sig"
    assert [float(x) for x in widget["/Rect"]] == [-9999.0] * 4
    assert widget["/F"] & 4  # print
    assert not widget["/F"] & 2  # not hidden
    assert "/StructParent" not in widget


def test_works_from_a_thread_whose_event_loop_runs(unsigned: bytes) -> None:
    """Playwright's sync API keeps an event loop running in the browser tests' thread."""

    async def inside_a_loop() -> str:
        return verify_pdf(sign_pdf(unsigned, reason="Certificat délivré")).outcome

    assert asyncio.run(inside_a_loop()) == VALID


def test_signature_dictionary_says_reason_location_and_signatory(unsigned: bytes) -> None:
    signed = sign_pdf(unsigned, reason="Attestation de réussite", box=BOX, field_name="Cnam")
    field = next(f for f in PdfReader(BytesIO(signed)).get_fields().values() if f.name == "Cnam")
    value = field.value.get_object()

    assert value["/Reason"] == "Attestation de réussite"
    assert value["/Location"] == "Paris"
    assert value["/Name"] == "Cnam EPN12 (tests)"
    assert "/ContactInfo" not in value
    assert value["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


def test_appearance_date_reads_in_french() -> None:
    moment = dt.datetime(2026, 11, 27, 13, 5, tzinfo=dt.UTC)  # 14 h 05 in Paris

    assert signing._when(moment) == "27 novembre 2026 à 14 h 05"
    assert (
        signing._when(dt.datetime(2026, 7, 1, 7, 0, tzinfo=dt.UTC)) == "1er juillet 2026 à 9 h 00"
    )


def _flip(data: bytes, position: int) -> bytes:
    """Another byte at ``position``; a hexadecimal digit stays one (the signature is hex)."""
    changed = bytearray(data)
    changed[position] = ord("7") if changed[position] == ord("3") else ord("3")
    return bytes(changed)


def _position(signed: bytes, unsigned: bytes, where: str) -> int:
    if where == "the signature itself":
        return signed.rindex(b"/Contents <") + 200  # inside the CMS, not its zero padding
    position = (
        signed.index(b"stream", 100) + 40 if where == "a content stream" else len(unsigned) // 2
    )
    assert position < len(unsigned)  # in the signed revision
    return position


@pytest.mark.parametrize(
    "where",
    ["a content stream", "the middle of the file", "the signature itself"],
)
def test_one_byte_changed_is_modified(unsigned: bytes, where: str) -> None:
    signed = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    position = _position(signed, unsigned, where)

    found = verify_pdf(_flip(signed, position))

    assert found.outcome == MODIFIED
    assert found.current is False


def test_content_added_in_a_later_revision_is_modified(unsigned: bytes) -> None:
    signed = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    # A white rectangle over part of the page, then nothing else: the kind of edit a forger makes.
    cover = generic.StreamObject(stream_data=b"q 1 1 1 rg 50 500 300 80 re f Q")
    writer.add_stream_to_page(0, writer.add_object(cover))
    out = BytesIO()
    writer.write(out)
    edited = out.getvalue()
    assert edited.startswith(signed)

    found = verify_pdf(edited)

    assert found.outcome == MODIFIED
    assert found.signatory == "Cnam EPN12 (tests)"


def test_signed_with_another_key_is_other_certificate(
    unsigned: bytes, signing_keys: SigningKeys, settings: Any
) -> None:
    use_key(settings, signing_keys.other, signing_keys.passphrase)
    signed_elsewhere = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    use_key(settings, signing_keys.portal, signing_keys.passphrase)

    found = verify_pdf(signed_elsewhere)

    assert found.outcome == OTHER_CERTIFICATE
    assert found.signatory == "Autre établissement"
    assert found.certificate_fingerprint == fingerprint(signing_keys.other, signing_keys.passphrase)
    assert found.current is False


def test_unsigned_document(unsigned: bytes) -> None:
    found = verify_pdf(unsigned)

    assert found.outcome == UNSIGNED
    assert (found.signatory, found.signed_at, found.certificate_fingerprint) == ("", None, "")


@pytest.mark.parametrize(
    "data",
    [b"", b"not a PDF at all", b"%PDF-1.7\n%%EOF\n", bytes(range(256)) * 40],
    ids=["empty", "text", "empty PDF", "noise"],
)
def test_garbage_is_invalid(data: bytes) -> None:
    assert verify_pdf(data).outcome == INVALID


def test_rotation_keeps_old_documents_valid(
    unsigned: bytes, signing_keys: SigningKeys, settings: Any, tmp_path: Path
) -> None:
    signed_before = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    old_certificate = tmp_path / "previous.pem"
    old_certificate.write_bytes(
        certificate_of(signing_keys.portal, signing_keys.passphrase).public_bytes(
            serialization.Encoding.PEM
        )
    )
    use_key(settings, signing_keys.other, signing_keys.passphrase)  # the new key
    assert verify_pdf(signed_before).outcome == OTHER_CERTIFICATE  # not yet declared

    settings.SIGNING_PREVIOUS_CERTIFICATES = [str(old_certificate)]
    found = verify_pdf(signed_before)

    assert found.outcome == VALID
    assert found.signatory == "Cnam EPN12 (tests)"
    assert found.current is False
    assert verify_pdf(sign_pdf(unsigned, reason="Nouveau")).current is True


def test_passphrase_from_a_file(
    unsigned: bytes, signing_keys: SigningKeys, settings: Any, tmp_path: Path
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(signing_keys.passphrase + "\n", encoding="utf-8")  # as `echo` writes it
    settings.SIGNING_PASSPHRASE = ""
    settings.SIGNING_PASSPHRASE_FILE = str(secret)

    assert key_problems(production=True) == []
    assert verify_pdf(sign_pdf(unsigned, reason="Certificat délivré")).outcome == VALID


# --- The timestamp authority (PAdES B-T) -------------------------------------------------------


def _timestamp_authority() -> DummyTimeStamper:
    """A throwaway RSA timestamp authority (pyHanko's test stamper is RSA-only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Horodatage (tests)")])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
    )


@pytest.fixture
def tsa_url() -> Iterator[str]:
    """An RFC 3161 server on loopback, answering with the throwaway authority."""
    authority = _timestamp_authority()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = asyncio.run(authority.async_request_tsa_response(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    # Port 0: the system picks a free one (the SQLite and PostgreSQL suites run side by side).
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()


def test_timestamp_authority_makes_a_timestamped_signature(
    unsigned: bytes, settings: Any, tsa_url: str
) -> None:
    settings.SIGNING_TSA_URL = tsa_url

    found = verify_pdf(sign_pdf(unsigned, reason="Certificat délivré", box=BOX))

    assert found.outcome == VALID
    assert found.timestamped is True
    assert found.signed_at is not None
    assert abs(found.signed_at - timezone.now()) < dt.timedelta(minutes=1)


def _closed_port() -> int:
    """A loopback port nothing listens on: one the system just gave and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_timestamp_authority_refuses_to_sign(unsigned: bytes, settings: Any) -> None:
    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{_closed_port()}/nobody"

    with pytest.raises(Exception, match="horodatage"):
        sign_pdf(unsigned, reason="Certificat délivré")


# --- The key: problems, the deployment check, the demo key --------------------------------------


def test_good_key_has_no_problem() -> None:
    assert key_problems(production=True) == []


def test_missing_key_file(settings: Any, tmp_path: Path) -> None:
    settings.SIGNING_PKCS12_PATH = str(tmp_path / "absent.p12")

    assert key_problems(production=True) == [
        f"Le fichier de clé de signature {tmp_path / 'absent.p12'} (DJANGO_SIGNING_PKCS12) est "
        "introuvable."
    ]


def test_wrong_passphrase(settings: Any) -> None:
    settings.SIGNING_PASSPHRASE = "not-the-passphrase"

    (problem,) = key_problems(production=True)

    assert "phrase de passe erronée" in problem
    assert "not-the-passphrase" not in problem


def test_file_that_is_not_pkcs12(settings: Any, tmp_path: Path) -> None:
    wrong = tmp_path / "key.p12"
    wrong.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    settings.SIGNING_PKCS12_PATH = str(wrong)

    (problem,) = key_problems(production=True)

    assert "n'est pas un PKCS#12" in problem


def test_expired_certificate(settings: Any, tmp_path: Path) -> None:
    p12 = tmp_path / "expired.p12"
    start = timezone.now() - dt.timedelta(days=400)
    generate_self_signed(
        p12, subject="Cnam EPN12", passphrase="pw", valid_days=30, not_before=start
    )
    use_key(settings, p12, "pw")

    (problem,) = key_problems(production=True)

    assert problem.startswith("Le certificat de signature a expiré le ")
    with pytest.raises(SigningKeyError, match="a expiré"):
        sign_pdf(b"%PDF-1.7", reason="Certificat délivré")


def test_certificate_not_yet_valid(settings: Any, tmp_path: Path) -> None:
    p12 = tmp_path / "future.p12"
    start = timezone.now() + dt.timedelta(days=3)
    generate_self_signed(p12, subject="Cnam EPN12", passphrase="pw", not_before=start)
    use_key(settings, p12, "pw")

    (problem,) = key_problems(production=False)

    assert problem.startswith("Le certificat de signature n'est valable qu'à partir du ")


def test_demo_certificate_in_production(settings: Any, tmp_path: Path) -> None:
    p12 = tmp_path / "demo.p12"
    generate_self_signed(p12, subject=DEMO_SUBJECT, passphrase="pw")
    use_key(settings, p12, "pw")

    assert key_problems(production=False) == []
    (problem,) = key_problems(production=True)
    assert "démonstration" in problem


def test_unreadable_previous_certificate(settings: Any, tmp_path: Path) -> None:
    settings.SIGNING_PREVIOUS_CERTIFICATES = [str(tmp_path / "gone.pem")]

    (problem,) = key_problems(production=True)

    assert problem.startswith(f"Le certificat précédent {tmp_path / 'gone.pem'} ")


def test_no_key_in_production_refuses_to_sign(settings: Any) -> None:
    settings.DEBUG = False
    settings.SIGNING_PKCS12_PATH = ""

    assert key_problems(production=True) == [
        "Aucune clé de signature n'est configurée (DJANGO_SIGNING_PKCS12) : les certificats, "
        "attestations et relevés ne peuvent pas être signés."
    ]
    with pytest.raises(SigningKeyError, match="Aucune clé de signature"):
        sign_pdf(b"%PDF-1.7", reason="Certificat délivré")


def test_deploy_check_fails_with_the_problem(settings: Any) -> None:
    settings.DEBUG = False
    settings.SIGNING_PKCS12_PATH = ""

    (error,) = signing_key_check(None)
    assert isinstance(error, Error)
    assert error.id == "cnam_cs.E002"
    assert error.msg.startswith("Aucune clé de signature n'est configurée")

    errors = run_checks(tags=[Tags.security], include_deployment_checks=True)
    assert [e.id for e in errors if e.id == "cnam_cs.E002"] == ["cnam_cs.E002"]


def test_deploy_check_passes_with_a_good_key(settings: Any) -> None:
    settings.DEBUG = False

    assert signing_key_check(None) == []


def _demo_key_in_another_process(_: int) -> str:
    return str(signing.ensure_demo_key())


def test_processes_starting_together_end_with_one_demo_key_and_its_passphrase(
    settings: Any, tmp_path: Path
) -> None:
    """scripts/run starts the server and two workers at once on a first run: each may find no
    key; one must make it while the others wait, or a key would not open with the passphrase."""
    settings.SIGNING_DEMO_DIR = tmp_path / "signing"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        made = set(pool.map(_demo_key_in_another_process, range(4)))
        # Not terminate() at the block's end: a worker killed while it holds the task queue's
        # lock leaves another waiting for it for ever (it hung a run of the suite).
        pool.close()
        pool.join()

    p12 = tmp_path / "signing" / "demo.p12"
    assert made == {str(p12)}
    passphrase = (tmp_path / "signing" / "demo.passphrase").read_text(encoding="utf-8")
    subject = certificate_of(p12, passphrase).subject  # opens with the passphrase beside it
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DEMO_SUBJECT


def test_demo_key_is_generated_once_private_and_says_demo(unsigned: bytes, settings: Any) -> None:
    settings.DEBUG = True
    settings.SIGNING_PKCS12_PATH = ""

    p12 = signing.ensure_demo_key()
    content = p12.read_bytes()
    passphrase = p12.parent / "demo.passphrase"
    found = verify_pdf(sign_pdf(unsigned, reason="Certificat délivré", box=BOX))

    assert signing.ensure_demo_key() == p12
    assert p12.read_bytes() == content  # not generated again
    assert stat.S_IMODE(p12.stat().st_mode) == 0o600
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert signing.configured_is_demo() is True
    assert signing.signatory_name() == DEMO_SUBJECT
    assert (found.outcome, found.signatory, found.demo) == (VALID, DEMO_SUBJECT, True)
    cert = certificate_of(p12, passphrase.read_text(encoding="utf-8"))
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime == dt.timedelta(days=5 * 365)


def test_configured_key_is_not_the_demo() -> None:
    assert signing.configured_is_demo() is False
    assert signing.signatory_name() == "Cnam EPN12 (tests)"


def test_key_and_passphrase_never_logged(
    unsigned: bytes, signing_keys: SigningKeys, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signing._cache.clear()  # loading the key is logged too, if anything is
    signed = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    verify_pdf(signed)
    verify_pdf(b"garbage")
    settings.SIGNING_PASSPHRASE = "Wrong-Passphrase-4521"
    key_problems(production=True)
    settings.DEBUG = True
    settings.SIGNING_PKCS12_PATH = ""
    demo = signing.ensure_demo_key()
    sign_pdf(unsigned, reason="Certificat délivré")
    demo_passphrase = (demo.parent / "demo.passphrase").read_text(encoding="utf-8")

    formatter = logging.Formatter("%(message)s %(exc_info)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert caplog.records  # the demo key's generation is logged (without its secret)
    for secret in (signing_keys.passphrase, "Wrong-Passphrase-4521", demo_passphrase):
        assert secret not in logged
    assert "PRIVATE KEY" not in logged


def test_no_model_field_stores_a_key() -> None:
    suspicious = re.compile(r"passphrase|pkcs12|p12|private_key|signing_key", re.IGNORECASE)

    stored = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if suspicious.search(field.name)
    ]

    assert stored == []


# --- What the signature keeps of the PDF/A-3a document ------------------------------------------


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _fonts_of(stream: Any, seen: set[int] | None = None) -> list[DictionaryObject]:
    """Every font an appearance stream uses, nested form XObjects included."""
    seen = seen if seen is not None else set()
    if id(stream) in seen:
        return []
    seen.add(id(stream))
    resources = _resolve(stream.get("/Resources")) or DictionaryObject()
    fonts = [_resolve(f) for f in (_resolve(resources.get("/Font")) or {}).values()]
    for xobject in (_resolve(resources.get("/XObject")) or {}).values():
        fonts += _fonts_of(_resolve(xobject), seen)
    return fonts


def _signature_widget(data: bytes) -> DictionaryObject:
    page = PdfReader(BytesIO(data)).pages[-1]
    annotations = [_resolve(a) for a in _resolve(page.get("/Annots", ArrayObject()))]
    (widget,) = [a for a in annotations if a.get("/FT") == "/Sig"]
    return widget


def test_visible_signature_draws_with_an_embedded_font(unsigned: bytes) -> None:
    widget = _signature_widget(sign_pdf(unsigned, reason="Certificat délivré", box=BOX))

    fonts = _fonts_of(_resolve(widget["/AP"]["/N"]))

    assert fonts
    for font in fonts:
        described = _resolve(font["/DescendantFonts"][0]) if font["/Subtype"] == "/Type0" else font
        descriptor = _resolve(described["/FontDescriptor"])
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
        assert "LiberationSans" in str(font["/BaseFont"])
    assert [float(x) for x in widget["/Rect"]] == [340, 40, 560, 90]
    assert int(widget["/F"]) & 4  # printed: PDF/A forbids a hidden or non-printing widget


def _drawn_font_program(data: bytes) -> TTFont:
    (font,) = _fonts_of(_resolve(_signature_widget(data)["/AP"]["/N"]))
    descendant = _resolve(font["/DescendantFonts"][0])
    program = _resolve(_resolve(descendant["/FontDescriptor"])["/FontFile2"]).get_data()
    return TTFont(BytesIO(program))


def _missing_glyphs(font: TTFont, text: str) -> set[str]:
    """The characters of ``text`` that the embedded font cannot draw: not in its character
    map, or an empty outline (a composite glyph, « é », counts -1 contours)."""
    cmap, glyphs = font.getBestCmap(), font["glyf"]
    drawn = {c for c in text if ord(c) in cmap and glyphs[cmap[ord(c)]].numberOfContours != 0}
    return {c for c in text if not c.isspace()} - drawn


def test_each_signature_embeds_the_glyphs_it_draws(
    unsigned: bytes, signing_keys: SigningKeys, settings: Any, tmp_path: Path
) -> None:
    """The font program is kept per glyph set: a later signature in the same process with
    other letters (another signatory) embeds them, and one with the same letters reuses it."""
    other_letters = tmp_path / "other-letters.p12"
    generate_self_signed(other_letters, subject="Œuvre Wyz QJK", passphrase=signing_keys.passphrase)
    first = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    use_key(settings, other_letters, signing_keys.passphrase)
    second = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    use_key(settings, signing_keys.portal, signing_keys.passphrase)
    third = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)

    assert (
        _missing_glyphs(
            _drawn_font_program(first),
            "Signé électroniquement par Cnam EPN12 (tests) le 0123456789",
        )
        == set()
    )
    assert _missing_glyphs(_drawn_font_program(second), "Œuvre Wyz QJK 0123456789") == set()
    assert _missing_glyphs(_drawn_font_program(first), "WQJKŒ") == {"W", "Q", "J", "K", "Œ"}
    assert (
        _missing_glyphs(_drawn_font_program(third), "Signé électroniquement par Cnam EPN12 (tests)")
        == set()
    )
    assert verify_pdf(second).signatory == "Œuvre Wyz QJK"


def test_signature_keeps_pdfa_3a(unsigned: bytes) -> None:
    signed = sign_pdf(unsigned, reason="Certificat délivré", box=BOX)
    reader = PdfReader(BytesIO(signed))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")

    assert signed.startswith(unsigned)
    assert re.search(r"pdfaid:part(>|=\")3", xmp)
    assert re.search(r"pdfaid:conformance(>|=\")A", xmp)
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "fr"
    assert "/Perms" in root  # a certification signature (DocMDP): no change allowed
    assert "/Version" not in root  # still PDF 1.7, which PDF/A-3 is based on (not 2.0)
    # The information dictionary and the XMP still agree (PDF/A): producer and dates.
    info = reader.metadata
    assert info is not None
    (xmp_producer,) = re.findall(r"pdf:Producer(?:>|=\")([^<\"]+)", xmp)
    assert info["/Producer"] == xmp_producer
    (xmp_modified,) = re.findall(r"xmp:ModifyDate(?:>|=\")([^<\"]+)", xmp)
    assert info["/ModDate"][2:16] == re.sub(r"\D", "", xmp_modified)[:14]
