"""PAdES signatures of the portal's PDFs, and their verification (pyHanko).

Signing: ``sign_pdf`` adds one signature to a PDF as an incremental update (the original bytes
stay a prefix of the signed file, so WeasyPrint's PDF/A-3a tags and metadata stay), with the
institution's key and certificate chain (a PKCS#12 file: ``DJANGO_SIGNING_PKCS12`` and its
passphrase). PAdES baseline B-B, or B-T when ``SIGNING_TSA_URL`` names a timestamp authority
(a signature timestamp from it). The signature is a certification signature that permits no
change (DocMDP P=1): a PDF reader then reports any edit, as ``verify_pdf`` does. A visible
signature draws its text with a font embedded from ``static/fonts`` (a standard-14 font, not
embedded, would break PDF/A).

Verification is offline: trust roots are the configured certificate, its chain and the
previous certificates (``SIGNING_PREVIOUS_CERTIFICATES``); no OCSP or CRL is fetched. What
decides the outcome is the signer certificate itself (its SHA-256 fingerprint), not a trust
path at today's date: a document signed before the certificate expired, or before a rotation,
stays valid.

Without a configured key, DEBUG (the demo) uses a self-signed « Cnam EPN12 (démo) » key
generated once (``ensure_demo_key``); production refuses to sign (``SigningKeyError``) and
``check --deploy`` fails (``key_problems``). The key and its passphrase are read from files
and the environment only: never stored in the database, never logged.

This module imports no app: it knows nothing of certificates or grades.
"""

import asyncio
import fcntl
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Coroutine, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone, translation
from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFont, CIDFontType2, GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import (
    InvisSigSettings,
    MDPPerm,
    SigFieldSpec,
    SigSeedSubFilter,
    append_signature_field,
)
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from lib.formats import long_date

logger = logging.getLogger(__name__)

VALID = "valid"
MODIFIED = "modified"
OTHER_CERTIFICATE = "other_certificate"
UNSIGNED = "unsigned"
INVALID = "invalid"

DEMO_SUBJECT = "Cnam EPN12 (démo)"
DEMO_VALID_DAYS = 5 * 365
LOCATION = "Paris"
FONT = "fonts/LiberationSans-Regular.ttf"
FONT_SIZE = 9
LEADING = 12  # points between the two lines of the visible signature
# Changes allowed after the signed revision: none, or what PAdES itself adds (a DSS, a
# document timestamp). Form filling or annotations could paint over the text: refused.
ALLOWED_LEVELS = frozenset({ModificationLevel.NONE, ModificationLevel.LTA_UPDATES})
TSA_TIMEOUT_SECONDS = 10


class SigningKeyError(RuntimeError):
    """No usable signing key: the message, in French, says what to configure."""


@dataclass(frozen=True)
class SignatureBox:
    """A visible signature field: page index (0-based, -1 = last) and a box in PDF points
    (x1, y1, x2, y2), origin bottom-left."""

    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Verification:
    """What ``verify_pdf`` found; ``outcome`` is one of the five constants above."""

    outcome: str
    signatory: str
    signed_at: datetime | None
    certificate_fingerprint: str
    current: bool
    demo: bool
    timestamped: bool


@dataclass(frozen=True)
class _Keys:
    """The loaded key material of one configuration (cached per process)."""

    signer: SimpleSigner
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    previous: tuple[asn1_x509.Certificate, ...]
    timestamper: TimeStamper | None

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.certificate)


_cache: dict[tuple[Any, ...], _Keys] = {}
_cache_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Public API


def sign_pdf(
    pdf: bytes, *, reason: str, box: SignatureBox | None = None, field_name: str = "Signature"
) -> bytes:
    """``pdf`` signed with the configured key, as an incremental update; visible in ``box``.

    Raises ``SigningKeyError`` when no key is usable (production without a key)."""
    keys = _keys()
    signed_at = timezone.now()
    signatory = _common_name(keys.certificate)
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        reason=reason,
        location=LOCATION,
        name=signatory,
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    if box is None:
        # An invisible widget stays out of the structure tree: PDF/UA lets it, once outside
        # the page (PDF/A wants its print flag, which forbids the hidden one).
        spec = SigFieldSpec(
            sig_field_name=field_name,
            invis_sig_settings=InvisSigSettings(box_out_of_bounds=True),
        )
    else:
        x1, y1, x2, y2 = box.box
        spec = SigFieldSpec(
            sig_field_name=field_name,
            on_page=box.page,
            box=(round(x1), round(y1), round(x2), round(y2)),
        )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    _align_producer(writer)
    if box is not None:
        # The visible field is made first, in the revision the signature covers, so that it
        # can join the structure tree; pyHanko then signs it as an existing empty field.
        append_signature_field(writer, spec)
        _tag_widget(writer, field_name, alt=f"Signé électroniquement par {signatory}")
    signer = _TimedPdfSigner(
        meta,
        keys.signer,
        signed_at=signed_at,
        timestamper=keys.timestamper,
        stamp_style=_stamp_style(),
        new_field_spec=spec,
    )
    text = {"signatory": signatory, "when": _when(signed_at)}
    try:
        output = _run(
            signer.async_sign_pdf(
                writer, bytes_reserved=_reserved_bytes(keys), appearance_text_params=text
            )
        )
    except TimestampRequestError as error:  # the document is not issued unsigned
        raise TimestampRequestError(
            "Autorité d'horodatage injoignable ou réponse invalide (DJANGO_SIGNING_TSA_URL)."
        ) from error
    return bytes(output.getvalue())


def verify_pdf(data: bytes) -> Verification:
    """What the first signature of ``data`` proves; never raises on a bad file.

    Raises ``SigningKeyError`` only when the portal's own key configuration is broken."""
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception:  # an upload can break the parser in any way: all mean « unreadable »
        logger.info("Signature verification: unreadable PDF (%d bytes)", len(data))
        return Verification(INVALID, "", None, "", current=False, demo=False, timestamped=False)
    if not signatures:
        return Verification(UNSIGNED, "", None, "", current=False, demo=False, timestamped=False)
    keys = _keys()
    embedded = signatures[0]
    try:
        status = _run(
            async_validate_pdf_signature(
                embedded,
                signer_validation_context=_validation_context(keys),
                ts_validation_context=ValidationContext(trust_roots=[], allow_fetching=False),
            )
        )
    except Exception:  # a signature pyHanko cannot even evaluate was damaged
        logger.info("Signature verification: signature unreadable", exc_info=True)
        return _broken(_signer_certificate(embedded))
    return _outcome(status, keys)


def signatory_name() -> str:
    """The configured certificate's subject common name."""
    return _common_name(_keys().certificate)


def configured_is_demo() -> bool:
    """True when documents are signed with the demo certificate."""
    return _is_demo(_keys().certificate)


def key_problems(*, production: bool) -> list[str]:
    """What is wrong with the signing configuration, in plain French ([] when fine)."""
    path = _configured_path()
    if path is None:
        if production:
            return [
                "Aucune clé de signature n'est configurée (DJANGO_SIGNING_PKCS12) : les "
                "certificats, attestations et relevés ne peuvent pas être signés."
            ]
        return []  # the demo key, generated on the first signature
    problems: list[str] = []
    try:
        _key, certificate, _chain = _read_pkcs12(path, _passphrase())
    except SigningKeyError as error:
        problems.append(str(error))
    else:
        problems += _certificate_problems(certificate, production=production)
    for previous in settings.SIGNING_PREVIOUS_CERTIFICATES:
        try:
            list(load_certs_from_pemder([previous]))  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as error:
            problems.append(
                f"Le certificat précédent {previous} (DJANGO_SIGNING_PREVIOUS_CERTIFICATES) "
                f"est illisible ({type(error).__name__}) : les documents signés avec lui ne "
                "seraient plus reconnus."
            )
    return problems


def ensure_demo_key() -> Path:
    """The demo PKCS#12, generated once under ``SIGNING_DEMO_DIR`` (passphrase beside it)."""
    folder = Path(settings.SIGNING_DEMO_DIR)
    p12, passphrase_file = folder / "demo.p12", folder / "demo.passphrase"
    # Other processes may start at the same moment (scripts/run: the server and its workers):
    # one generates, the others wait and find the pair (never a key with another passphrase).
    with _cache_lock, _folder_lock(folder):
        if p12.is_file() and passphrase_file.is_file():
            return p12
        passphrase = secrets.token_urlsafe(32)
        write_private(passphrase_file, passphrase.encode())
        generate_self_signed(p12, subject=DEMO_SUBJECT, passphrase=passphrase)
    logger.warning("Demo signing certificate « %s » generated: %s", DEMO_SUBJECT, p12)
    return p12


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock between processes on ``folder`` (created 0700 if need be)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def warm_up() -> None:
    """Load the signer and the appearance's font now (a worker at start) rather than on the
    first document."""
    _keys()
    _latin_font_bytes()


def generate_self_signed(
    out: Path,
    *,
    subject: str,
    passphrase: str,
    valid_days: int = DEMO_VALID_DAYS,
    not_before: datetime | None = None,
) -> None:
    """Write a self-signed RSA-2048 key and certificate for ``subject`` as a PKCS#12 file
    (mode 0600) encrypted with ``passphrase``. For the demo and tests: production uses a
    certificate issued by a certification authority.

    RSA rather than EC P-256, although P-256 is a little faster (signing a certificate: 51 to
    76 ms of processor time against 67 to 71 ms, measured at load 5; a key made in 0.2 ms
    against 100 ms): with an ECDSA key pyHanko declares the document PDF 2.0 (ISO/TS 32002
    extension, catalog /Version /2.0), which a PDF/A-3 document, based on PDF 1.7, must not
    claim."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = not_before or timezone.now() - timedelta(minutes=5)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, subject),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cnam"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        subject.encode(),
        key,
        certificate,
        None,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    write_private(out, data)


# ---------------------------------------------------------------------------------------------
# Loading the key


def _configured_path() -> Path | None:
    path = str(settings.SIGNING_PKCS12_PATH or "").strip()
    return Path(path) if path else None


def _passphrase() -> str:
    """The passphrase: from ``SIGNING_PASSPHRASE_FILE`` (a systemd credential) when set."""
    file = str(settings.SIGNING_PASSPHRASE_FILE or "").strip()
    if not file:
        return str(settings.SIGNING_PASSPHRASE)
    try:
        return Path(file).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise SigningKeyError(
            f"Le fichier de phrase de passe {file} (DJANGO_SIGNING_PASSPHRASE_FILE) est "
            f"illisible ({type(error).__name__})."
        ) from None


def _source() -> tuple[Path, str]:
    """The PKCS#12 file to use and its passphrase: the configured one, or the demo's."""
    path = _configured_path()
    if path is not None:
        return path, _passphrase()
    if not settings.DEBUG:
        raise SigningKeyError(
            "Aucune clé de signature n'est configurée (DJANGO_SIGNING_PKCS12) : document "
            "non signé. Voir docs/deploy.md, « Signature des documents »."
        )
    demo = ensure_demo_key()
    return demo, (demo.parent / "demo.passphrase").read_text(encoding="utf-8")


def _keys() -> _Keys:
    path, passphrase = _source()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    key = (
        str(path),
        stamp,
        hashlib.sha256(passphrase.encode()).hexdigest(),
        tuple(settings.SIGNING_PREVIOUS_CERTIFICATES),
        settings.SIGNING_TSA_URL,
    )
    with _cache_lock:
        found = _cache.get(key)
    if found is not None:
        return found
    loaded = _load(path, passphrase)
    with _cache_lock:
        _cache.clear()  # one configuration at a time: a rotation drops the old signer
        _cache[key] = loaded
    return loaded


def _load(path: Path, passphrase: str) -> _Keys:
    key, certificate, chain = _read_pkcs12(path, passphrase)
    problems = _certificate_problems(certificate, production=False)
    if problems:
        raise SigningKeyError(" ".join(problems))
    signer = _KeptKeySigner(
        private_key=key,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        signing_cert=_asn1(certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
    )
    previous: list[asn1_x509.Certificate] = []
    for file in settings.SIGNING_PREVIOUS_CERTIFICATES:
        try:
            previous += load_certs_from_pemder([file])  # type: ignore[no-untyped-call]
        except (OSError, ValueError):
            raise SigningKeyError(
                f"Le certificat précédent {file} (DJANGO_SIGNING_PREVIOUS_CERTIFICATES) est "
                "illisible."
            ) from None
    url = str(settings.SIGNING_TSA_URL or "").strip()
    return _Keys(
        signer=signer,
        certificate=_asn1(certificate),
        chain=tuple(_asn1(c) for c in chain),
        previous=tuple(previous),
        timestamper=HTTPTimeStamper(url, timeout=TSA_TIMEOUT_SECONDS) if url else None,
    )


def _read_pkcs12(
    path: Path, passphrase: str
) -> tuple[PrivateKeyTypes, x509.Certificate, list[x509.Certificate]]:
    """The private key, certificate and chain of a PKCS#12 file whose key and certificate
    match; else a French ``SigningKeyError`` (the passphrase never appears in it)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(
            f"Le fichier de clé de signature {path} (DJANGO_SIGNING_PKCS12) est introuvable."
        ) from None
    except OSError as error:
        raise SigningKeyError(
            f"Le fichier de clé de signature {path} est illisible ({type(error).__name__})."
        ) from None
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(
            data, passphrase.encode() or None
        )
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"Le fichier de clé de signature {path} ne s'ouvre pas : phrase de passe erronée "
            "(DJANGO_SIGNING_PASSPHRASE) ou fichier qui n'est pas un PKCS#12."
        ) from None
    if key is None:
        raise SigningKeyError(f"Le fichier {path} ne contient pas de clé privée.")
    if certificate is None:
        raise SigningKeyError(f"Le fichier {path} ne contient pas de certificat.")
    if key.public_key() != certificate.public_key():
        raise SigningKeyError(f"Dans {path}, la clé privée ne correspond pas au certificat.")
    return key, certificate, list(chain)


def _certificate_problems(certificate: x509.Certificate, *, production: bool) -> list[str]:
    now = timezone.now()
    problems = []
    if certificate.not_valid_after_utc < now:
        problems.append(
            "Le certificat de signature a expiré le "
            f"{_in_french(certificate.not_valid_after_utc)} : installez le nouveau certificat "
            "(docs/deploy.md, « Rotation de la clé »)."
        )
    if certificate.not_valid_before_utc > now:
        problems.append(
            "Le certificat de signature n'est valable qu'à partir du "
            f"{_in_french(certificate.not_valid_before_utc)}."
        )
    if production and _common_name_of(certificate.subject) == DEMO_SUBJECT:
        problems.append(
            f"Le certificat de signature est celui de démonstration (« {DEMO_SUBJECT} ») : "
            "en production, configurez le certificat de l'établissement."
        )
    return problems


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only (created 0600, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    path.chmod(0o600)


# ---------------------------------------------------------------------------------------------
# Signing


class _KeptKeySigner(SimpleSigner):
    """pyHanko's ``SimpleSigner`` parses its private key again for every signature, which
    costs 50 to 70 ms with an RSA key (OpenSSL checks the key each time): this one keeps the
    parsed key for the usual mechanisms (RSA PKCS#1 v1.5, ECDSA)."""

    def __init__(self, *, private_key: PrivateKeyTypes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        key, digest = self._private_key, get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(digest))
        return bytes(super().sign_raw(data, digest_algorithm))


class _TimedPdfSigner(PdfSigner):
    """pyHanko's signer dated with Django's clock (``timezone.now()``) rather than the
    system's, so that the appearance, the signature dictionary and the CMS agree."""

    def __init__(self, *args: Any, signed_at: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signed_at = signed_at

    def init_signing_session(
        self, pdf_out: Any, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signed_at
        return session


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    """PDF/A wants the information dictionary and the XMP metadata to agree. pyHanko sets the
    XMP producer to « pyHanko x.y » but appends that to the dictionary's (« WeasyPrint 70.0;
    pyHanko x.y »): the dictionary's is set to pyHanko's alone beforehand, so both say it."""
    if "/Info" not in writer.trailer:
        return
    info = generic.DictionaryObject(writer.trailer["/Info"])  # type: ignore[no-untyped-call]
    info["/Producer"] = generic.TextStringObject(VENDOR)
    writer.set_info(info)


def _tag_widget(writer: IncrementalPdfFileWriter, field_name: str, *, alt: str) -> None:
    """Put the visible signature into the structure tree WeasyPrint made, as a screen reader
    expects of an annotation (PDF/UA-1 § 7.18.1, ISO 32000-1 § 14.7.4.4): a ``Form`` element
    under the document, naming the signatory, whose content is the widget (an object
    reference), found back from the widget through its ``StructParent`` key. The field's
    tooltip (``/TU``) gives it the same name. An untagged PDF is left as it is.

    WeasyPrint's tree: ``/K [Document]``, the document's children in an array, a flat
    ``/Nums`` parent tree keyed by page and no ``/ParentTreeNextKey``."""
    root = writer.root
    if "/StructTreeRoot" not in root:
        return
    widget_ref = next(
        ref
        for ref in root["/AcroForm"].raw_get("/Fields")
        if ref.get_object().get("/T") == field_name
    )
    widget = widget_ref.get_object()
    tree = root["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    key = generic.NumberObject(  # type: ignore[no-untyped-call]
        max(int(nums.raw_get(i)) for i in range(0, len(nums), 2)) + 1
    )
    document_ref = tree["/K"].raw_get(0)
    document = document_ref.get_object()
    name = generic.TextStringObject(alt)
    form_ref = writer.add_object(
        generic.DictionaryObject(  # type: ignore[no-untyped-call]
            {
                generic.pdf_name("/Type"): generic.pdf_name("/StructElem"),
                generic.pdf_name("/S"): generic.pdf_name("/Form"),
                generic.pdf_name("/P"): document_ref,
                generic.pdf_name("/Alt"): name,
                generic.pdf_name("/K"): generic.DictionaryObject(  # type: ignore[no-untyped-call]
                    {
                        generic.pdf_name("/Type"): generic.pdf_name("/OBJR"),
                        generic.pdf_name("/Obj"): widget_ref,
                        generic.pdf_name("/Pg"): widget.raw_get("/P"),
                    }
                ),
            }
        )
    )
    document["/K"].append(form_ref)
    nums.extend([key, form_ref])
    tree[generic.pdf_name("/ParentTreeNextKey")] = generic.NumberObject(key + 1)  # type: ignore[no-untyped-call]
    widget[generic.pdf_name("/StructParent")] = key
    widget[generic.pdf_name("/TU")] = name
    for changed in (document["/K"], nums, tree, document, widget):
        writer.update_container(changed)


def _reserved_bytes(keys: _Keys) -> int:
    """Room for the CMS: certificates, signature, attributes, and a timestamp token (with its
    TSA's certificates) when one is requested. Without it pyHanko would sign a dummy first to
    measure (and ask the TSA twice): 35 ms a signature."""
    certificates = sum(len(c.dump()) for c in (keys.certificate, *keys.chain))
    reserved = 4096 + certificates + (12288 if keys.timestamper else 0)
    return reserved + reserved % 2  # pyHanko wants an even count


def _stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text="Signé électroniquement par %(signatory)s\nle %(when)s",
        text_box_style=TextBoxStyle(font=_LatinFontFactory(), font_size=FONT_SIZE, leading=LEADING),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(6),  # type: ignore[no-untyped-call]
        ),
        border_width=1,
        background=None,
    )


# The appearance's font: Liberation Sans cut down once per process to the Latin-1 characters
# (and a few French signs) with its kerning, without hinting instructions (4 KB less in each
# document). pyHanko embeds a subset of whatever font it is given, and subsetting the whole
# Liberation Sans (its layout tables) cost 300 ms a signature; this one, 15 ms.
_LATIN = [*range(0x20, 0x7F), *range(0xA0, 0x100), 0x152, 0x153, 0x2013, 0x2014, 0x2019, 0x20AC]
_latin_font: bytes | None = None


def _latin_font_bytes() -> bytes:
    global _latin_font
    with _cache_lock:
        if _latin_font is None:
            path = finders.find(FONT)
            if not isinstance(path, str):
                raise SigningKeyError(f"Police de la signature introuvable : static/{FONT}.")
            options = subset.Options(layout_features=["kern"], hinting=False)
            font = TTFont(path)
            subsetter = subset.Subsetter(options=options)
            subsetter.populate(unicodes=_LATIN)
            subsetter.subset(font)
            out = BytesIO()
            font.save(out)
            _latin_font = out.getvalue()
        return _latin_font


# The embedded font program for a set of glyphs, compressed, once per process: pyHanko
# subsets, saves and compresses the font again for every signature (3 tenths of its time). The
# digits are always included, so that the set does not change with the date of signing.
_ALWAYS_INCLUDED = "0123456789"
_font_files: dict[tuple[int, ...], bytes] = {}


class _KeptSubsetCIDFont(CIDFontType2):
    """A TrueType CID font whose FontFile2 comes from ``_font_files`` when this glyph set was
    embedded before in this process."""

    def __init__(self, accumulator: "_LatinGlyphAccumulator", base: CIDFont) -> None:
        super().__init__(accumulator.tt, base.name.split("+", 1)[1], base.subset_prefix)
        self._accumulator = accumulator

    def set_font_file(self, writer: Any) -> generic.IndirectObject:
        key = self._accumulator.glyph_key()
        with _cache_lock:
            encoded = _font_files.get(key)
        if encoded is None:
            program = BytesIO()
            self.tt_font.save(program)
            stream = generic.StreamObject(stream_data=program.getvalue())
            stream.compress()  # type: ignore[no-untyped-call]  # pyHanko: untyped
            encoded = stream.encoded_data
            with _cache_lock:
                _font_files[key] = encoded
        flate = generic.DictionaryObject(  # type: ignore[no-untyped-call]  # pyHanko: untyped
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")}
        )
        reference = writer.add_object(generic.StreamObject(flate, encoded_data=encoded))
        self._font_descriptor[generic.pdf_name("/FontFile2")] = reference
        return reference  # type: ignore[no-any-return]


class _LatinGlyphAccumulator(GlyphAccumulator):
    """pyHanko's OpenType glyph accumulator with two corrections.

    - pyHanko 0.38 writes the CID font's /W widths in the font's own units (2048 an em for
      Liberation Sans) where PDF wants thousandths of an em: readers then space every glyph
      twice too wide and the text runs out of the box. The widths are scaled on writing.
    - The subset font program is made once per glyph set and process (``_font_files``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cidfont_obj = _KeptSubsetCIDFont(self, self.cidfont_obj)
        self.shape(_ALWAYS_INCLUDED)

    def glyph_key(self) -> tuple[int, ...]:
        return tuple(sorted(self._glyphs))

    def _extract_subset(self, options: Any = None) -> None:
        with _cache_lock:
            kept = self.glyph_key() in _font_files
        if not kept:
            super()._extract_subset(options)

    def prepare_write(self) -> None:
        if not self._write_prepared and self.units_per_em != 1000:
            scale = 1000 / self.units_per_em
            self._glyphs = {
                gid: (cid, round(width * scale)) for gid, (cid, width) in self._glyphs.items()
            }
        super().prepare_write()  # type: ignore[no-untyped-call]  # pyHanko: untyped


class _LatinFontFactory(FontEngineFactory):
    """pyHanko's OpenType engine over the cut-down font (embedded as a CIDFontType2 with its
    FontFile2: PDF/A requires every font to be embedded)."""

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return _LatinGlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(_latin_font_bytes()),
            font_size=FONT_SIZE,
            obj_stream=obj_stream,
        )


def _when(moment: datetime) -> str:
    """« 27 novembre 2026 à 14 h 05 », Paris time: a document reads the same in any language."""
    local = timezone.localtime(moment)
    return f"{_in_french(local)} à {local.hour} h {local.minute:02d}"


def _in_french(moment: datetime) -> str:
    with translation.override("fr"):
        return long_date(moment)


# ---------------------------------------------------------------------------------------------
# Verifying


def _validation_context(keys: _Keys) -> ValidationContext:
    roots = [keys.certificate, *keys.chain, *keys.previous]
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def _outcome(status: PdfSignatureStatus, keys: _Keys) -> Verification:
    certificate = status.signing_cert
    fingerprint = _fingerprint(certificate)
    if not _untouched(status):
        return _broken(certificate)
    timestamp = status.timestamp_validity
    timestamped = timestamp is not None and timestamp.intact and timestamp.valid
    current = fingerprint == keys.fingerprint
    known = current or fingerprint in {_fingerprint(c) for c in keys.previous}
    return Verification(
        outcome=VALID if known else OTHER_CERTIFICATE,
        signatory=_common_name(certificate),
        signed_at=timestamp.timestamp if timestamp and timestamped else status.signer_reported_dt,
        certificate_fingerprint=fingerprint,
        current=current,
        demo=_is_demo(certificate),
        timestamped=timestamped,
    )


def _untouched(status: PdfSignatureStatus) -> bool:
    """The signed bytes are intact, the signature is the certificate's, and nothing but what
    PAdES allows (DSS, document timestamp) was added after the signed revision."""
    if not (status.intact and status.valid):
        return False
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level in ALLOWED_LEVELS
    )


def _signer_certificate(embedded: EmbeddedPdfSignature) -> asn1_x509.Certificate | None:
    """The certificate a damaged signature names, when it can still be found."""
    try:
        return embedded.signer_cert
    except Exception:  # the signature is damaged: any error means « none »
        return None


def _broken(certificate: asn1_x509.Certificate | None) -> Verification:
    """A signature whose document or signature bytes were changed."""
    return Verification(
        outcome=MODIFIED,
        signatory=_common_name(certificate) if certificate is not None else "",
        signed_at=None,
        certificate_fingerprint=_fingerprint(certificate) if certificate is not None else "",
        current=False,
        demo=certificate is not None and _is_demo(certificate),
        timestamped=False,
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _run[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's coroutine to completion, also from a thread whose event loop is running
    (Playwright's sync API in the browser tests): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _fingerprint(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def _common_name(certificate: asn1_x509.Certificate) -> str:
    return str(certificate.subject.native.get("common_name", ""))


def _common_name_of(name: x509.Name) -> str:
    values: Iterable[x509.NameAttribute[Any]] = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return next((str(attribute.value) for attribute in values), "")


def _is_demo(certificate: asn1_x509.Certificate) -> bool:
    return _common_name(certificate) == DEMO_SUBJECT
