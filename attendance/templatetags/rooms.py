"""``{% load rooms %}`` then ``{{ session|room_reading }}``: « accès 31, 1er étage, salle 12 »
in French, "access 31, 1st floor, room 12" in English (attendance/rooms.py)."""

from django import template

from ..rooms import code_reading

register = template.Library()


@register.filter
def room_reading(session: object) -> str:
    """Anything with ``room`` and ``site`` (a session); the code as typed when unreadable."""
    code = getattr(session, "room", "")
    return code_reading(code=code, site=getattr(session, "site", "")) or code
