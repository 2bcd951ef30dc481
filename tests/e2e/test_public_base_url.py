"""The demo runs on another port and every link that leaves it follows (issue 10): the QR code
of a certificate, the password-reset e-mail and the calendar subscription all point to
http://127.0.0.1:<PORT>/ and open the right page.

Runs the real commands in subprocesses, as ``scripts/run`` does: ``migrate``, ``load_demo``
and ``runserver`` with PORT set, on a scratch SQLite database, e-mails written to files.
"""

import email
import email.policy
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.browser import sign_in
from tests.test_project import BASE_DIR, clean_env

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "Demo-Cnam-2025!"
# 2023-2024: Bastien Renard's certificate was revoked and replaced; the replacement is valid.
CERTIFIED_STUDENT = "2300202"
# Generous on a loaded machine; on an idle one the whole test takes about 30 s.
COMMAND_TIMEOUT = 600


@dataclass(frozen=True)
class Demo:
    url: str  # http://127.0.0.1:<port>
    database: Path
    mails: Path
    tmp: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"runserver did not listen on {port}: {log.read_text(errors='replace')}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo served on a free port other than 8000; stopped whatever the test does."""
    port = _free_port()
    database = tmp_path / "demo.sqlite3"
    mails = tmp_path / "mails"
    env = clean_env(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_PRIVATE_ROOT=str(tmp_path / "private"),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DJANGO_EMAIL_FILE_PATH=str(mails),
    )
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
        )
    log = tmp_path / "runserver.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, server, log)
        yield Demo(f"http://127.0.0.1:{port}", database, mails, tmp_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _qr_text(pdf: Path, tmp: Path) -> str:
    """The QR code printed on the PDF, read as a phone would: render the page, decode."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(tmp / "page")],
        check=True,
        timeout=60,
    )
    (png,) = tmp.glob("page*.png")
    codes = zxingcpp.read_barcodes(Image.open(png))
    assert len(codes) == 1, "the certificate carries exactly one QR code"
    return str(codes[0].text)


def _reset_link(mails: Path, to: str) -> str:
    """The link of the one password-reset e-mail sent to ``to`` (sent by a background thread)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in sorted(mails.glob("*.log")):
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = email.message_from_bytes(raw, policy=email.policy.default)
                if to in str(message["To"]):
                    body = message.get_body(preferencelist=("plain",)).get_content()
                    return re.search(r"https?://\S+", body).group(0)
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {to} in {os.listdir(mails) if mails.exists() else []}")


def _student(database: Path, username: str) -> tuple[str, str]:
    """(personal e-mail, birth date) of a demo student, read from the scratch database."""
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT s.email, s.birth_date FROM enrolment_studentprofile s "
            "JOIN enrolment_user u ON u.id = s.user_id WHERE u.username = ?",
            (username,),
        ).fetchone()
    return row[0], row[1]


def test_the_demo_on_another_port_links_to_itself(page: Page, demo: Demo) -> None:
    page.set_default_timeout(30_000)
    assert not demo.url.endswith(":8000")

    # a. The certificate's QR code opens this server's verification page.
    sign_in(page, demo.url, CERTIFIED_STUDENT, password=DEMO_PASSWORD)
    page.goto(demo.url + reverse("certification:student-documents"))
    card = page.locator("li.card", has_text="Certificat de spécialisation")
    with page.expect_download() as download:
        card.get_by_role("link", name="Télécharger (PDF)").click()
    pdf = demo.tmp / "certificat.pdf"
    download.value.save_as(pdf)
    url = _qr_text(pdf, demo.tmp)
    assert url.startswith(f"{demo.url}/verifier/")
    page.goto(url)
    expect(page.get_by_text("Certificat valide")).to_be_visible()
    with page.expect_navigation(url=re.compile(r".*/compte/connexion/$")):
        page.get_by_role("button", name="Se déconnecter").first.click()

    # b. The calendar subscription shown to the student is on this server and answers.
    sign_in(page, demo.url, "eleve", password=DEMO_PASSWORD)
    page.goto(demo.url + reverse("attendance:student-planning"))
    page.locator("#abonnement summary").click()
    page.get_by_role("button", name=re.compile("^Générer un")).click()
    feed = page.locator("#feed").input_value()
    assert feed.startswith(f"{demo.url}/calendrier/")
    response = page.request.get(feed)
    assert response.status == 200
    assert response.body().startswith(b"BEGIN:VCALENDAR")
    with page.expect_navigation(url=re.compile(r".*/compte/connexion/$")):
        page.get_by_role("button", name="Se déconnecter").first.click()

    # c. The password-reset e-mail links to this server's new-password form.
    address, birth_date = _student(demo.database, "eleve")
    page.goto(demo.url + reverse("password_reset"))
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("eleve")
    page.get_by_label("Date de naissance").fill(birth_date)
    page.get_by_role("button", name="Valider").click()
    link = _reset_link(demo.mails, address)
    assert link.startswith(f"{demo.url}/compte/reinitialiser/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Choisissez un nouveau mot de passe")).to_be_visible()
