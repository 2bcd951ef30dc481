"""The student's planning says what each session is: UE code and title, kind and rank
(« Cours 2 sur 3 »), and its topic when the teacher gave one — not just « Cours »."""

import re

import pytest
from django.urls import reverse

from attendance.planning import student_sessions
from tests.student_data import cohort, enrol, session, signed_in, student

pytestmark = pytest.mark.django_db


def _badges(html: str) -> list[str]:
    return re.findall(r'<span class="badge text-bg-light border">([^<]+)</span>', html)


def test_sessions_are_numbered_per_ue_and_kind():
    c = cohort()
    s = student()
    e = enrol(s, c)
    first = session(c.rsv206, days=1)
    session(c.rsv207, days=2)
    second = session(c.rsv206, days=3)
    exam = session(c.rsv206, days=4, kind="examen")
    ranks = {p.session.pk: (p.number, p.of_kind) for p in student_sessions(e)}
    assert ranks[first.pk] == (1, 2)
    assert ranks[second.pk] == (2, 2)
    assert ranks[exam.pk] == (1, 1)


def test_planning_shows_ue_title_kind_rank_and_topic():
    c = cohort()
    s = student()
    enrol(s, c)
    session(c.rsv206, days=1, title="Histoire de l'associationnisme")
    session(c.rsv206, days=8)
    session(c.rsv206, days=15, kind="examen", title="Examen final")
    html = signed_in(s).get(reverse("attendance:student-planning")).content.decode()
    assert _badges(html) == ["Cours 1 sur 2", "Cours 2 sur 2", "Examen"]
    assert f'<span class="fw-semibold">RSV206</span> — {c.rsv206.title}' in html
    assert '<div class="session-topic">Histoire de l&#x27;associationnisme</div>' in html
    assert '<div class="session-topic">Examen final</div>' in html
    # A session without a topic has no empty topic line.
    assert html.count('class="session-topic"') == 2
