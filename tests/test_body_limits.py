"""Request bodies refused before they are read (SECURITY.md #30): 413 pages, throttle first.

The 60 MB bodies are made up as they are read, by a ``wsgi.input`` stand-in that counts the
bytes taken from it: that count is what shows a body was refused unread (memory bounded).
The clients enforce CSRF and hold a valid token, as an attacker who opened the page does:
CsrfViewMiddleware then reads the body to find the token, so a refusal that came after it
would have read everything.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from attendance.models import Attendance
from lib.body_limits import LimitedUploadHandler
from tests.factories import SessionFactory
from tests.grading.staff_world import make_world

BOUNDARY = "----cnamcsboundary"
SIXTY_MB = 60 * 1024 * 1024
CHUNK = 64 * 1024  # Django's upload chunk
CSRF_SECRET = "cnamcs" * 5 + "ok"  # 32 letters: a CSRF secret as Django accepts it


class StreamedUpload:
    """A multipart body with one file of ``size`` bytes, made up as it is read."""

    def __init__(self, *, field: str, size: int, fields: dict[str, str] | None = None) -> None:
        fields = {"csrfmiddlewaretoken": CSRF_SECRET, **(fields or {})}
        head = b"".join(
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        head += (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="{field}"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-"
        ).encode()
        self.head = head
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.length = len(head) + size + len(self.tail)
        self.position = 0
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.length - self.position
        out = bytearray()
        while len(out) < size and self.position < self.length:
            want = size - len(out)
            pos, head, filler_end = self.position, len(self.head), len(self.head) + self.size
            if pos < head:
                piece = self.head[pos : pos + want]
            elif pos < filler_end:
                piece = b"x" * min(want, filler_end - pos)
            else:
                piece = self.tail[pos - filler_end : pos - filler_end + want]
            out += piece
            self.position += len(piece)
        self.bytes_read += len(out)
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:
        line = b""
        while not line.endswith(b"\n") and (size < 0 or len(line) < size):
            byte = self.read(1)
            if not byte:
                break
            line += byte
        return line

    def environ(self) -> dict[str, str | object]:
        return {
            "wsgi.input": self,
            "CONTENT_LENGTH": str(self.length),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        }


def post_streamed(client: Client, url: str, body: StreamedUpload):
    return client.generic("POST", url, **body.environ())


def assert_refused_unread(response, body: StreamedUpload, limit: str) -> None:
    assert response.status_code == 413
    html = response.content.decode()
    assert f"Fichier trop volumineux : {limit} au plus." in html
    assert 'class="portal-header"' in html  # the site's own layout, not a bare error page
    assert body.bytes_read == 0


@pytest.fixture
def world(db):
    w = make_world(1)
    w.session = SessionFactory(ue=w.ue, key="S1")
    return w


@pytest.fixture
def csrf_client(settings) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


@pytest.mark.django_db
def test_attack_30_a_60_mb_upload_to_verifier_is_refused_unread(csrf_client):
    body = StreamedUpload(field="document", size=SIXTY_MB)
    response = post_streamed(csrf_client, reverse("certification:verify-upload"), body)
    assert_refused_unread(response, body, "5 Mo")


@pytest.mark.django_db
def test_attack_30_the_verifier_limit_is_ten_mb_when_the_site_allows_it(csrf_client, settings):
    settings.MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    body = StreamedUpload(field="document", size=11 * 1024 * 1024)
    response = post_streamed(csrf_client, reverse("certification:verify-upload"), body)
    assert_refused_unread(response, body, "10 Mo")


@pytest.mark.django_db
def test_attack_30_the_verifier_throttle_answers_429_before_the_body_is_read(csrf_client):
    url = reverse("certification:verify-upload")
    for _ in range(30):
        assert Client().post(url, {}).status_code == 200  # the quota: 30 a minute per address
    body = StreamedUpload(field="document", size=SIXTY_MB)
    response = post_streamed(csrf_client, url, body)
    assert response.status_code == 429
    assert body.bytes_read == 0
    small = StreamedUpload(field="document", size=1000)
    assert post_streamed(csrf_client, url, small).status_code == 429
    assert small.bytes_read == 0


def test_attack_30_a_60_mb_grade_import_is_refused_unread(csrf_client, world):
    csrf_client.force_login(world.teacher)
    url = reverse("grading:staff-import", kwargs={"assessment_id": world.assessment.pk})
    body = StreamedUpload(field="file", size=SIXTY_MB)
    assert_refused_unread(post_streamed(csrf_client, url, body), body, "5 Mo")


def test_attack_30_a_60_mb_absence_justification_is_refused_unread(csrf_client, world):
    csrf_client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", kwargs={"session_id": world.session.pk})
    body = StreamedUpload(
        field="justify-document",
        size=SIXTY_MB,
        fields={"justify-enrolment": str(world.enrolments[0].pk), "justify-reason": "Arrêt"},
    )
    assert_refused_unread(post_streamed(csrf_client, url, body), body, "5 Mo")
    assert not Attendance.objects.filter(justified=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["login", "password_reset"])
def test_attack_30_a_60_mb_body_to_any_form_is_refused_unread(csrf_client, name):
    body = StreamedUpload(field="username", size=SIXTY_MB)
    assert_refused_unread(post_streamed(csrf_client, reverse(name), body), body, "5 Mo")


@pytest.mark.django_db
def test_attack_30_a_60_mb_urlencoded_form_is_refused_unread(csrf_client):
    body = StreamedUpload(field="username", size=SIXTY_MB)
    environ = body.environ() | {"CONTENT_TYPE": "application/x-www-form-urlencoded"}
    response = csrf_client.generic("POST", reverse("login"), **environ)
    assert_refused_unread(response, body, "5 Mo")


@pytest.mark.django_db
def test_attack_30_form_fields_past_two_and_a_half_mb_answer_400_unread(client):
    # Inside the 5 Mo body limit, past DATA_UPLOAD_MAX_MEMORY_SIZE: Django's own 400.
    body = StreamedUpload(field="username", size=3 * 1024 * 1024)
    environ = body.environ() | {"CONTENT_TYPE": "application/x-www-form-urlencoded"}
    response = client.generic("POST", reverse("login"), **environ)
    assert response.status_code == 400
    assert "Requête refusée" in response.content.decode()
    assert body.bytes_read == 0


def test_attack_30_a_file_past_the_form_limit_in_a_body_that_fits_is_413(client, world, settings):
    # The declared length passes (limit + room for other fields); the handler counts the file.
    settings.MAX_UPLOAD_BYTES = 20_000
    client.force_login(world.teacher)
    url = reverse("grading:staff-import", kwargs={"assessment_id": world.assessment.pk})
    response = client.post(url, {"file": SimpleUploadedFile("n.csv", b"x" * 25_000)})
    assert response.status_code == 413
    assert "Fichier trop volumineux : 19,5 Kio au plus." in response.content.decode()


def test_attack_30_the_upload_handler_stops_reading_a_60_mb_body_at_its_limit():
    # A body whose length was not checked up front (chunked, or a proxy that let it through).
    body = StreamedUpload(field="document", size=SIXTY_MB)
    request = RequestFactory().generic("POST", "/verifier/", **body.environ())
    handler = LimitedUploadHandler(request, 1024 * 1024)
    request.upload_handlers.insert(0, handler)
    assert "document" not in request.FILES
    assert handler.exceeded
    assert body.bytes_read <= 1024 * 1024 + 2 * CHUNK


def test_files_within_the_limits_still_go_through(client, world):
    client.force_login(world.teacher)
    url = reverse("attendance:staff-justify", kwargs={"session_id": world.session.pk})
    response = client.post(
        url,
        {
            "justify-enrolment": world.enrolments[0].pk,
            "justify-reason": "Arrêt maladie",
            "justify-document": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n" + b"x" * 4_000_000),
        },
    )
    assert response.status_code == 302
    assert Attendance.objects.get(enrolment=world.enrolments[0]).justified
