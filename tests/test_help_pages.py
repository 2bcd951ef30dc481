"""Help, accessibility and legal pages (booklet §2.4, §3.1, last page), the footer that links
them, and the « Vérifier un certificat » code field."""

import pytest
from django.urls import reverse

from certification import services
from tests.certification.conftest import make_cohort
from tests.factories import EnrolmentFactory, RegistrarFactory


@pytest.fixture
def certificate(db, certificate_pdf_not_rendered):
    cohort = make_cohort(1, deliberated=True)
    return services.certificate_issue(enrolment=cohort["enrolments"][0], by=RegistrarFactory())


def test_help_page_is_public_with_the_booklet_contacts(client, db):
    response = client.get(reverse("help"))
    html = response.content.decode()
    assert response.status_code == 200
    # Mission Handi'Cnam: accommodations, address, phone and e-mail.
    assert "Mission Handi'Cnam" in html
    assert "prêt de matériel, tiers temps" in html
    assert "accès 17, rez-de-chaussée" in html
    assert "01 58 80 87 87" in html
    assert "mailto:handicnam_paris@lecnam.net" in html
    # STOPVIOLENCE and VAE/VAP.
    assert "mailto:stopviolence@cnam.fr" in html
    assert "harcèlement moral ou sexuel" in html
    assert "VAE / VAP" in html
    # Both scolarité contacts and both phones.
    assert "Joaninha CATARINO RIAUTET" in html
    assert "Fydji MANANGA-BAIOLINI" in html
    assert 'href="tel:+33158808414">01 58 80 84 14' in html
    assert 'href="tel:+33158808971">01 58 80 89 71' in html
    assert "http://santé-solidarité.cnam.fr" in html


def test_help_page_lists_every_teaching_site_and_reads_a_room_code(client, db):
    html = client.get(reverse("help")).content.decode()
    for site in ("Saint-Martin", "Conté", "Gay-Lussac", "La Plaine Saint-Denis", "Ensam"):
        assert f"Site {site}" in html
    assert "accès 1 à 29" in html
    assert "accès ENS" in html
    assert "21.2.32 = accès 21, 2e étage, salle 32" in html


def test_accessibility_statement_is_honest_and_gives_the_recourse(client, db):
    response = client.get(reverse("accessibility"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "partiellement conforme" in html
    assert "axe-core" in html
    assert "390 pixels" in html
    assert "clavier" in html
    assert "Défenseur des droits" in html
    assert "mailto:csparis.innovations@lecnam.net" in html


def test_legal_notice_names_the_publisher_host_and_every_cookie(client, db, settings):
    response = client.get(reverse("legal"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "292 rue Saint-Martin, 75003 Paris" in html
    assert "administrateur général du Cnam" in html
    assert "direction des systèmes d'information (DSI) du Cnam" in html
    assert "RGPD" in html
    for cookie in ("sessionid", "csrftoken", "django_language", "messages"):
        assert f"<code>{cookie}</code>" in html
    assert "8 heures au plus" in html


def test_footer_links_on_a_signed_in_page(client, db):
    client.force_login(EnrolmentFactory().student.user)
    html = client.get(reverse("attendance:student-planning")).content.decode()
    footer = html[html.index("<footer") :]
    assert 'href="/aide/">Aide et contacts' in footer
    assert 'href="/accessibilite/">Accessibilité : partiellement conforme' in footer
    assert 'href="/mentions-legales/">Mentions légales' in footer
    assert 'href="/verifier/">Vérifier un certificat' in footer
    assert "01 58 80 84 14" in footer
    assert "01 58 80 89 71" in footer
    assert 'action="/i18n/setlang/"' in footer


def test_typed_code_redirects_to_the_verification_page(client, certificate):
    code = certificate.verification_code
    response = client.get(reverse("certification:verify-upload"), {"code": f"  {code} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("certification:verify", args=[code])
    html = client.get(response["Location"]).content.decode()
    assert certificate.number in html
    assert "Certificat valide" in html


def test_pasted_address_is_cut_down_to_its_code(client, certificate):
    code = certificate.verification_code
    pasted = f"https://portail.example/verifier/{code[:10]} {code[10:]}\n"
    response = client.get(reverse("certification:verify-upload"), {"code": pasted})
    assert response["Location"] == reverse("certification:verify", args=[code])


def test_code_case_is_kept(client, certificate):
    """token_urlsafe codes are case-sensitive: a lower-cased code is another code."""
    code = certificate.verification_code
    changed = code.swapcase()
    response = client.get(reverse("certification:verify-upload"), {"code": changed})
    assert response["Location"] == reverse("certification:verify", args=[changed])


def test_unknown_code_shows_the_not_found_answer(client, db):
    response = client.get(
        reverse("certification:verify-upload"), {"code": "inconnu123"}, follow=True
    )
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_certificate_number_is_refused_with_a_hint(client, certificate):
    response = client.get(reverse("certification:verify-upload"), {"code": certificate.number})
    html = response.content.decode()
    assert response.status_code == 200
    assert "C&#x27;est le numéro du certificat" in html
    assert 'class="form-control is-invalid"' in html
    assert certificate.snapshot["holder"]["last_name"].upper() not in html


def test_empty_or_malformed_code_says_what_to_type(client, db):
    for typed in ("", "abc<>def"):
        html = client.get(reverse("certification:verify-upload"), {"code": typed}).content.decode()
        assert "Saisissez le code de vérification" in html
        assert 'aria-describedby="code-erreur code-aide"' in html


def test_verification_page_without_code_shows_the_field(client, db):
    html = client.get(reverse("certification:verify-upload")).content.decode()
    assert 'name="code"' in html
    assert "Code de vérification" in html
    assert "is-invalid" not in html
