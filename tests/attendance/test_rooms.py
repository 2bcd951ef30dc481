"""Room readings: rules.parse_room gives the parts, attendance/rooms.py says them in the
reader's language, and every page, PDF and e-mail reads rooms there."""

import pytest
from django.template import Context, Template
from django.utils import translation

from attendance.documents import exam_convocations
from attendance.models import Session
from attendance.planning import student_sessions
from attendance.rooms import code_reading, floor_reading, room_reading
from attendance.rules import Room, Site, parse_room
from tests.factories import SessionFactory
from tests.pdf_builders import document_case


def test_room_parts_are_a_frozen_dataclass():
    room = parse_room(code="35.2.14", site=Site.CONTE)
    assert room == Room(site=Site.CONTE, access="35", floor=2, number="14")
    with pytest.raises(AttributeError):
        room.floor = 3  # type: ignore[misc]


def test_french_reading_is_the_booklet_s():
    with translation.override("fr"):
        assert room_reading(parse_room(code="35.2.14", site=Site.CONTE)) == (
            "accès 35, 2e étage, salle 14"
        )
        assert floor_reading(0) == "rez-de-chaussée"
        assert floor_reading(1) == "1er étage"


def test_english_floor_uses_the_english_ordinal():
    """The words come from the catalogue; the ordinal is English whatever the catalogue holds."""
    with translation.override("en"):
        assert "2nd" in floor_reading(2)
        assert "1st" in floor_reading(1)
        assert "2nd" in room_reading(parse_room(code="35.2.14", site=Site.CONTE))


def test_unreadable_code_gives_none():
    assert code_reading(code="99.1.1", site="conte") is None
    assert code_reading(code="31.1.12", site="nowhere") is None
    with translation.override("fr"):
        assert code_reading(code="31.1.12", site="conte") == "accès 31, 1er étage, salle 12"


def test_template_filter_reads_a_session_room(db):
    template = Template("{% load rooms %}{{ session|room_reading }}")
    with translation.override("fr"):
        readable = SessionFactory(room="31.1.12A", site="conte")
        assert template.render(Context({"session": readable})) == (
            "accès 31, 1er étage, salle 12, escalier A"
        )
        odd = SessionFactory(room="Amphi B", site="conte")
        assert template.render(Context({"session": odd})) == "Amphi B"


def test_rules_no_longer_put_french_words_on_a_room():
    assert not hasattr(parse_room(code="31.1.12", site=Site.CONTE), "describe")


def test_convocation_and_planning_read_rooms_through_the_presenter(db):
    """Switching the language switches the ordinal: both builders call attendance/rooms.py."""
    case = document_case()
    exam = SessionFactory(
        ue=case.ue_207, kind=Session.Kind.EXAMEN, site=Session.Site.CONTE, room="35.2.14"
    )
    with translation.override("en"):
        notice = next(n for n in exam_convocations(case.enrolment) if n.session_id == exam.pk)
        planned = next(p for p in student_sessions(case.enrolment) if p.session.pk == exam.pk)
    assert "2nd" in notice.room_description
    assert "2nd" in planned.room
    with translation.override("fr"):
        planned = next(p for p in student_sessions(case.enrolment) if p.session.pk == exam.pk)
    assert planned.room == "accès 35, 2e étage, salle 14"
