"""The grades page and the relevé de notes read the same lines, statuses and jury decision
(grading.lines.grade_sheet; RULES.md §6, §7, §7b)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrolment.models import Enrolment, ProgrammeYear
from enrolment.rules import JuryDecision
from grading.documents import transcript
from grading.lines import grade_sheet
from tests.factories import AssessmentFactory
from tests.pdf_builders import pdf_text
from tests.student_data import Cohort, cohort, enrol, grade, signed_in, student

pytestmark = pytest.mark.django_db

STATUS_LABELS = (
    "Absent·e : compte 0, défaillant·e",
    "Absence justifiée → rattrapage",
    "Plagiat : compte 0",
    "Pas encore de note publiée",
    "en cours de correction",
)


def page_and_pdf(e: Enrolment) -> tuple[str, str]:
    client = signed_in(e.student)
    html = client.get(reverse("grading:student-grades")).content.decode()
    response = client.get(reverse("grading:transcript-pdf", args=[e.pk]))
    assert response.status_code == 200
    return html, pdf_text(response.content)


def deliberate(c: Cohort, e: Enrolment, decision: JuryDecision) -> None:
    """What the jury's deliberation leaves behind, written directly (its service is apart)."""
    ProgrammeYear.objects.filter(pk=c.year.pk).update(frozen_at=timezone.now())
    Enrolment.objects.filter(pk=e.pk).update(jury_decision=decision.value)


@pytest.mark.parametrize(
    ("status", "value", "label", "mark"),
    [
        ("graded", Decimal("13.25"), "", "13,25"),
        ("absent", None, "Absent·e : compte 0, défaillant·e", "0,00"),
        ("absent_justified", None, "Absence justifiée → rattrapage", "—"),
        ("plagiarism", None, "Plagiat : compte 0", "0,00"),
    ],
)
def test_page_and_transcript_show_the_same_status_label(status, value, label, mark):
    c = cohort()
    e = enrol(student(), c)
    exam = AssessmentFactory(ue=c.rsv207, key="CT1", title="Soutenance", kind="ct")
    grade(exam, e, status=status, value=value)
    (line,) = grade_sheet(e).blocks[1].lines
    assert (line.label, line.mark, line.status_label) == ("Soutenance", mark, label)
    assert transcript(e).ues[1].lines == (line,)
    html, text = page_and_pdf(e)
    for shown in (html, text):
        assert "Soutenance" in shown
        for other in STATUS_LABELS:
            assert (other in shown) == (other == label), other
        if mark != "—":
            assert mark in shown


def test_makeup_line_reads_the_same_on_page_and_transcript():
    c = cohort()
    e = enrol(student(), c)
    ct = AssessmentFactory(ue=c.rsv206, key="CT1", title="Examen final", kind="ct")
    makeup = AssessmentFactory(ue=c.rsv206, key="CT1R", kind="ct", makeup_of=ct)
    grade(ct, e, status="absent_justified", value=None)
    grade(makeup, e, value=Decimal("14.5"))
    original, replacement = grade_sheet(e).blocks[0].lines
    assert (replacement.label, replacement.mark, replacement.is_makeup) == (
        "Rattrapage — Examen final",
        "14,50",
        True,
    )
    assert not original.is_makeup
    html, text = page_and_pdf(e)
    assert "Rattrapage — Examen final" in html and "Rattrapage — Examen final" in text


@pytest.mark.parametrize("decision", list(JuryDecision))
def test_jury_decision_shows_on_page_and_transcript_after_deliberation(decision):
    c = cohort()
    e = enrol(student(), c)
    grade(AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct"), e, value=Decimal("12"))
    deliberate(c, e, decision)
    html, text = page_and_pdf(e)
    expected = f"Décision du jury : {decision.label}"
    assert expected in html
    assert expected in text
    assert "PROVISOIRE" not in text


def test_no_jury_decision_before_deliberation_and_transcript_stays_provisional():
    c = cohort()
    e = enrol(student(), c)
    grade(AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct"), e, value=Decimal("12"))
    # A decision without frozen_at (never written so, but not to be trusted): nothing shows.
    Enrolment.objects.filter(pk=e.pk).update(jury_decision=JuryDecision.ADMIS.value)
    html, text = page_and_pdf(e)
    assert "Décision du jury" not in html
    assert "Décision du jury" not in text
    assert "PROVISOIRE — avant délibération du jury" in text
    assert grade_sheet(Enrolment.objects.get(pk=e.pk)).jury_decision == ""


def test_deliberated_without_a_decision_for_this_student_shows_none():
    c = cohort()
    e = enrol(student(), c)
    grade(AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct"), e, value=Decimal("12"))
    ProgrammeYear.objects.filter(pk=c.year.pk).update(frozen_at=timezone.now())
    html, text = page_and_pdf(e)
    assert "Décision du jury" not in html and "Décision du jury" not in text
    assert "PROVISOIRE" not in text


def test_grade_under_correction_shows_the_status_not_its_draft_value():
    c = cohort()
    e = enrol(student(), c)
    deliberate(c, e, JuryDecision.AJOURNE)
    grade(AssessmentFactory(ue=c.rsv206, key="CC1", kind="cc"), e, value=Decimal("12"))
    exam = AssessmentFactory(ue=c.rsv206, key="CT1", title="Examen final", kind="ct")
    grade(exam, e, value=Decimal("17.25"), published=False, under_correction=True)
    lines = grade_sheet(Enrolment.objects.select_related("programme_year").get(pk=e.pk))
    corrected = lines.blocks[0].lines[1]
    assert (corrected.label, corrected.mark, corrected.status_label) == (
        "Examen final",
        "—",
        "en cours de correction",
    )
    html, text = page_and_pdf(e)
    for shown in (html, text):
        assert "en cours de correction" in shown
        assert "17,25" not in shown
        assert "14,50" not in shown  # (12 + 17.25 × 1) / 2 with the draft
        assert "Pas encore de note publiée" not in shown


def test_a_plain_draft_is_not_under_correction():
    c = cohort()
    e = enrol(student(), c)
    grade(AssessmentFactory(ue=c.rsv206, key="CC1", kind="cc"), e, value=Decimal("12"))
    exam = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    grade(exam, e, value=Decimal("17.25"), published=False)
    (_, draft) = grade_sheet(e).blocks[0].lines
    assert (draft.mark, draft.status_label) == ("—", "Pas encore de note publiée")


def test_a_published_grade_under_correction_keeps_its_published_mark():
    c = cohort()
    e = enrol(student(), c)
    exam = AssessmentFactory(ue=c.rsv206, key="CT1", kind="ct")
    grade(exam, e, value=Decimal("11.5"), under_correction=True)
    (line,) = grade_sheet(e).blocks[0].lines
    assert (line.mark, line.status_label) == ("11,50", "")


def test_grade_sheet_query_count_does_not_grow(django_assert_num_queries):
    c = cohort()
    e = enrol(student(), c)
    for n in range(20):
        ue = c.rsv206 if n % 2 else c.rsv207
        exam = AssessmentFactory(ue=ue, key=f"E{n}", date=dt.date(2025, 5, 1))
        grade(exam, e, published=n % 3 != 0, under_correction=n % 3 == 0)
    e = Enrolment.objects.select_related("programme_year").get(pk=e.pk)
    with django_assert_num_queries(1):
        sheet = grade_sheet(e)
    assert sum(len(b.lines) for b in sheet.blocks) == 20


def test_every_path_names_the_ue_by_its_code():
    """The grid's averages (``ue_results``) and the student's results speak of the same UE."""
    from certification.selectors import enrolment_result
    from grading.selectors import ue_results

    c = cohort()
    e = enrol(student(), c)
    grade(AssessmentFactory(ue=c.rsv206, key="CC1"), e, value=Decimal("12"))
    grid = ue_results(c.rsv206, [e])[e.pk]
    assert grid.ue == c.rsv206.code == "RSV206"
    result = enrolment_result(e, published_only=False).result
    assert [u.ue for u in result.ues] == ["RSV206", "RSV207"]


def test_the_credit_labels_read_in_the_readers_language():
    from django.utils import translation

    c = cohort()
    e = enrol(student(), c)
    grade(AssessmentFactory(ue=c.rsv206, key="CC1"), e, value=Decimal("12"))
    sheet = grade_sheet(Enrolment.objects.select_related("programme_year").get(pk=e.pk))
    block = next(b for b in sheet.blocks if b.code == c.rsv206.code)
    got, total = block.credits_obtained, block.credits
    assert got == total > 0
    with translation.override("fr"):
        assert block.credits_label == f"{got} / {total} crédits"
        assert sheet.credits_label == (
            f"Crédits obtenus : {sheet.credits_obtained} sur {sheet.credits_total} ECTS"
        )
    with translation.override("en"):
        assert block.credits_label == f"{got} / {total} credits"
        assert sheet.credits_label == (
            f"Credits earned: {sheet.credits_obtained} out of {sheet.credits_total} ECTS"
        )
