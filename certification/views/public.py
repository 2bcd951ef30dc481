"""Public pages: certificate verification (no sign-in), throttled per client address.

An uploaded PDF is checked two ways: its electronic signature (``lib.signing``: intact, by
the institution's certificate) and its SHA-256 against the register of issued certificates.
"""

import hashlib
import logging
import re
from enum import StrEnum

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lib import signing
from lib.body_limits import body_limit
from lib.client_address import client_address

from ..forms import VerifyUploadForm, verify_max_bytes
from ..models import Certificate

logger = logging.getLogger(__name__)

THROTTLE_LIMIT = 30  # lookups per client address per minute
THROTTLE_WINDOW = 60

# Verification codes are secrets.token_urlsafe(24): letters (case matters), digits, - and _.
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A certificate number (CS2600A-2025-00001) is printed in clear: it must not open the page,
# or anyone could walk through the numbers and read every holder's name.
_NUMBER = re.compile(r"[A-Za-z0-9]+-[0-9]{4}-[0-9]{5}")


def typed_code(text: str) -> str:
    """The verification code in what a person typed or pasted: spaces and line breaks
    dropped, the printed address (…/verifier/<code>) cut down to its code. Case is kept."""
    code = "".join(text.split())
    code = code.rsplit("/verifier/", 1)[-1]
    return code.split("?", 1)[0].split("#", 1)[0].strip("/")


def _code_error(code: str) -> str | None:
    if _NUMBER.fullmatch(code):
        return _(
            "C'est le numéro du certificat : saisissez le code de vérification, imprimé à la "
            "fin de l'adresse sous le QR code, ou déposez le fichier PDF."
        )
    if not _CODE.fullmatch(code):
        return _(
            "Saisissez le code de vérification imprimé à la fin de l'adresse sous le QR code "
            "du certificat (lettres, chiffres, « - » et « _ »)."
        )
    return None


def _throttled(request: HttpRequest) -> bool:
    # The client's address as the proxy saw it (lib.client_address): a forged
    # X-Forwarded-For cannot reset the counter, and behind the proxy clients do not share one.
    key = f"verify-throttle:{client_address(request)}"
    cache.add(key, 0, THROTTLE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, THROTTLE_WINDOW)
        count = 1
    return count > THROTTLE_LIMIT


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "certification/public/throttled.html", status=429)
    response["Retry-After"] = str(THROTTLE_WINDOW)
    return response


def _throttle_gate(request: HttpRequest) -> HttpResponse | None:
    return _too_many(request) if _throttled(request) else None


def _public_facts(certificate: Certificate) -> dict[str, object]:
    """What anyone may learn of a certificate: holder, programme, year, date, number, status."""
    s = certificate.snapshot
    replacement = (
        Certificate.objects.filter(replaces_id=certificate.pk).values_list("number", flat=True)
    ).first()
    return {
        "number": certificate.number,
        "issued_on": certificate.issued_on,
        "holder": f"{s['holder']['first_name']} {s['holder']['last_name'].upper()}",
        "programme": s["programme"],
        "year": s["year"],
        "revoked_at": certificate.revoked_at,
        "replaced_by": replacement,
    }


_PUBLIC_FIELDS = ("number", "issued_on", "snapshot", "revoked_at", "verification_code")


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Holder, programme, year, date, number and status — nothing else; wrong code → 404."""
    if _throttled(request):
        return _too_many(request)
    if len(code) > 64:
        raise Http404
    certificate = Certificate.objects.filter(verification_code=code).only(*_PUBLIC_FIELDS).first()
    if certificate is None:
        raise Http404
    return render(request, "certification/public/verify.html", _public_facts(certificate))


class Verdict(StrEnum):
    """What the page says first about an uploaded file, from its signature and the register."""

    AUTHENTIC = "authentic"  # a known certificate, not revoked: signed and intact, or unsigned
    REVOKED = "revoked"  # a known certificate, revoked
    SIGNATURE_ONLY = "signature_only"  # validly signed, not in the register (attestation…)
    MODIFIED = "modified"  # signed, then altered
    OTHER_CERTIFICATE = "other_certificate"  # signed by a certificate that is not the Cnam's
    UNKNOWN = "unknown"  # unsigned and not in the register
    UNREADABLE = "unreadable"  # not a PDF


def verdict(signature: signing.Verification | None, *, known: bool, revoked: bool) -> Verdict:
    """One verdict combining both checks. A file in the register is the issued file itself
    (same SHA-256): it was signed when issued, or issued before documents were signed.
    ``signature`` is None when the portal's signing key is missing (the register still
    answers; ``check --deploy`` reports the key)."""
    outcome = signature.outcome if signature is not None else None
    if outcome == signing.INVALID:
        return Verdict.UNREADABLE
    if outcome == signing.MODIFIED:
        return Verdict.MODIFIED
    if outcome == signing.OTHER_CERTIFICATE:
        return Verdict.OTHER_CERTIFICATE
    if known:
        return Verdict.REVOKED if revoked else Verdict.AUTHENTIC
    if outcome == signing.VALID:
        return Verdict.SIGNATURE_ONLY
    return Verdict.UNKNOWN


def _signature(data: bytes) -> signing.Verification | None:
    try:
        return signing.verify_pdf(data)
    except signing.SigningKeyError:
        logger.exception("Signature not checked: the signing key is not usable")
        return None


def _signer() -> dict[str, object]:
    """Who signs the portal's documents, for the page's introduction."""
    try:
        return {"signatory": signing.signatory_name(), "demo": signing.configured_is_demo()}
    except signing.SigningKeyError:
        logger.exception("Signing key not usable: the verification page cannot name it")
        return {"signatory": "", "demo": False}


def _checked(data: bytes) -> dict[str, object]:
    """Both checks of an uploaded file, for the template."""
    certificate = (
        Certificate.objects.filter(sha256=hashlib.sha256(data).hexdigest())
        .only(*_PUBLIC_FIELDS)
        .first()
    )
    facts = _public_facts(certificate) if certificate else None
    signature = _signature(data)
    return {
        "verdict": verdict(
            signature, known=facts is not None, revoked=bool(facts and facts["revoked_at"])
        ),
        "facts": facts,
        "signature": signature,
    }


@require_http_methods(["GET", "POST"])
# The throttle is the body's gate: an address over its quota is refused before a byte is read.
@body_limit(verify_max_bytes, gate=_throttle_gate)
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Anyone uploads a PDF: its signature is checked (valid, modified, another certificate,
    unsigned) and its SHA-256 looked up among the certificates (valid or revoked, the holder
    named); one verdict sums both up. The page also names the certificate that signs."""
    outcome = None
    form = VerifyUploadForm()
    typed = request.GET.get("code")
    code_error = None
    if request.method == "GET" and typed is not None:
        # « Vérifier par le code »: an unknown code gets the verify page's plain 404.
        code = typed_code(typed)
        code_error = _code_error(code)
        if code_error is None:
            return redirect("certification:verify", code=code)
    if request.method == "POST":
        form = VerifyUploadForm(request.POST, request.FILES)
        if form.is_valid():
            outcome = _checked(b"".join(form.cleaned_data["document"].chunks()))
    return render(
        request,
        "certification/public/verify_upload.html",
        {
            "form": form,
            "outcome": outcome,
            "typed_code": typed or "",
            "code_error": code_error,
            **_signer(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("verifier/", verify_upload, name="verify-upload"),
    # No trailing slash: the address printed in the QR code is {PUBLIC_BASE_URL}/verifier/<code>.
    path("verifier/<str:code>", verify, name="verify"),
]
