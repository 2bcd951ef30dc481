"""One truth: at every state of the lifecycle, every page and document says the same thing.

A cohort goes through drafts, publication, the first deliberation, make-ups and the second
session, a correction and its rectificatif, revocation and re-issue (RULES.md §7b). At each
state where students can see their marks, for every student: the grades page, the
certification page, the relevé (PDF text from ``pdftotext``), the jury page, the PV (context
and PDF text) and ``export_results`` agree on averages, UE status, credits, decision and
eligibility.
"""

import json
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from certification import documents, services
from certification.models import Certificate
from certification.selectors import latest_jury
from enrolment.rules import JuryDecision
from grading.models import Grade
from tests.certification.lifecycle_world import World, build_world

pytestmark = pytest.mark.django_db

UE_WORDS = {"validated": "validée", "failed": "non validée", "pending": "en attente"}


def pdftotext(data: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def french(average: str | None) -> str:
    return "—" if average is None else average.replace(".", ",")


def exported(world: World) -> dict[str, dict]:
    out = StringIO()
    call_command("export_results", "CS2600A", world.py.year, "--format", "json", stdout=out)
    return {s["number"]: s for s in json.loads(out.getvalue())["students"]}


def assert_one_truth(
    client,
    world: World,
    expected: dict[str, str],
    *,
    deliberated: bool = True,
    render: bool = True,
) -> None:
    """``expected``: each student's decision on the current marks (recorded if deliberated).
    ``render``: also render the PV and every relevé; a step that writes no grade and no
    deliberation leaves them as the previous step rendered and checked them."""
    lines = exported(world)
    client.force_login(world.registrar)
    jury_page = client.get(reverse("certification:registrar-jury", args=[world.py.pk]))
    rows = {row.number: (row, decided) for row, decided, _cert in jury_page.context["rows"]}
    jury = latest_jury(world.py.pk)
    pv_rows = {}
    pv_text = ""
    if jury is not None:
        pv_rows = {row.number: row for row in documents.jury_pv_context(jury)["rows"]}
    if jury is not None and render:
        pv = client.get(reverse("certification:jury-pv-pdf", args=[world.py.pk]))
        pv_text = pdftotext(pv.content)

    for who, enrolment in world.students.items():
        number = enrolment.student.number
        line = lines[number]
        decision = expected[who] if deliberated else None
        label = JuryDecision(decision).label if decision else ""
        ues = [(u["code"], french(u["average"]), u["status"], u["credits"]) for u in line["ues"]]

        # export_results
        if deliberated:
            assert line["decision"] == decision, who
        else:
            assert "decision" not in line, who
        assert line["eligible"] is (expected[who] == "admis" and line["fees_paid"]), who

        # jury page (registrar)
        row, decided = rows[number]
        assert [(c.code, c.average, c.status, c.credits) for c in row.ues] == ues, who
        assert (row.credits, row.eligible) == (line["credits"], line["eligible"]), who
        assert decided == label, who

        # PV: the latest deliberation's frozen snapshot
        if jury is not None:
            pv_row = pv_rows[number]
            assert [(c.code, c.average, c.status, c.credits) for c in pv_row.ues] == ues, who
            assert (pv_row.credits, pv_row.decision_label) == (line["credits"], label), who
            if render:
                assert f"{number} " in pv_text, who

        client.force_login(enrolment.student.user)
        # certification page
        page = client.get(reverse("certification:student-certification"))
        result = page.context["result"]
        assert [
            (u.ue, french(None if u.average is None else f"{u.average:.2f}"), u.status, u.credits)
            for u in result.ues
        ] == ues, who
        assert (result.credits, result.eligible) == (line["credits"], line["eligible"]), who
        assert page.context["decision"] == label, who
        if label:
            assert f"<strong>{label}</strong>" in page.content.decode(), who

        # grades page and relevé: averages, UE words, credits, decision
        grades_html = client.get(reverse("grading:student-grades")).content.decode()
        for code, average, status, _credits in ues:
            if average != "—":
                assert average in grades_html, (who, code)
            assert UE_WORDS[status] in grades_html.lower(), (who, code)
        if label:
            assert label in grades_html, who
        if render:
            assert_transcript(client, enrolment.pk, ues, label, who)


def assert_transcript(client, enrolment_id: int, ues: list, label: str, who: str) -> None:
    """The relevé says the averages, the UE words and the decision (PROVISOIRE before it)."""
    transcript = client.get(reverse("grading:transcript-pdf", args=[enrolment_id]))
    assert transcript.status_code == 200, who
    text = pdftotext(transcript.content)
    for code, average, status, _credits in ues:
        if average != "—":
            assert average in text, (who, code)
        assert UE_WORDS[status] in text.lower(), (who, code)
    if label:
        assert f"Décision du jury : {label}" in text, who
        assert "PROVISOIRE" not in text, who
    else:
        assert "PROVISOIRE" in text, who


def test_every_page_and_document_agree_at_every_state_of_the_lifecycle(client):
    world = build_world()

    # 1. Drafts: the jury refuses to deliberate, and lists them.
    with pytest.raises(services.CertificationError) as refused:
        world.deliberate()
    assert "12 notes de la promotion sont encore en brouillon" in refused.value.reasons[0]
    with pytest.raises(services.CertificationError):
        world.issue("good")

    # 2. Published, before the jury: provisional everywhere, no decision.
    world.publish_all()
    first = {"good": "admis", "makeup": "en_attente", "failed": "ajourne", "missed": "defaillant"}
    assert_one_truth(client, world, first, deliberated=False)

    # 3. First deliberation.
    world.deliberate()
    assert_one_truth(client, world, first)
    good_certificate = world.issue("good")

    # 4. Make-up entered (a draft: refused), published, then the second session.
    world.enter("makeup", world.makeup, "graded", "14")
    with pytest.raises(services.CertificationError):
        world.deliberate(kind="second_session", reason="Rattrapages de juin", days=1)
    assessment_publish_makeup(world)
    world.deliberate(kind="second_session", reason="Rattrapages de juin", days=1)
    second = {**first, "makeup": "admis"}
    assert_one_truth(client, world, second)
    makeup_certificate = world.issue("makeup")

    # 5. Correction after the jury: unlocked, changed (a draft), then the rectificatif.
    grade = world.grade("good", world.ct207)
    services.jury_grade_unlock(grade=grade, by=world.registrar, reason="Erreur de report")
    world.enter("good", world.ct207, "graded", "8")
    assert not world.grade("good", world.ct207).published
    world.deliberate(kind="rectificatif", reason="Erreur de report en RSV207", days=2)
    third = {**second, "good": "ajourne"}
    assert_one_truth(client, world, third)
    corrected = world.grade("good", world.ct207)
    assert (corrected.value, corrected.published, corrected.locked) == (8, True, True)
    page = client_jury(client, world)
    assert "à révoquer : plus admis·e" in page

    # 6. Revocation and re-issue.
    services.certificate_revoke(
        certificate=good_certificate, by=world.registrar, reason="Plus admise (rectificatif)"
    )
    services.certificate_revoke(
        certificate=makeup_certificate, by=world.registrar, reason="Erreur d'état civil"
    )
    replacement = world.issue("makeup")
    assert replacement.number != makeup_certificate.number
    assert replacement.replaces == makeup_certificate
    with pytest.raises(services.CertificationError):
        world.issue("good")  # no longer admis
    # Revoking and re-issuing write no grade and no deliberation: the PV and the relevés
    # are those step 5 rendered and checked.
    assert_one_truth(client, world, third, render=False)
    assert "à révoquer" not in client_jury(client, world)
    assert Certificate.objects.filter(revoked_at__isnull=True).count() == 1


def assessment_publish_makeup(world: World) -> None:
    from grading.services import assessment_publish

    assessment_publish(assessment=world.makeup, by=world.registrar)
    assert Grade.objects.filter(assessment=world.makeup, published=False).count() == 0


def client_jury(client, world: World) -> str:
    client.force_login(world.registrar)
    return client.get(reverse("certification:registrar-jury", args=[world.py.pk])).content.decode()
