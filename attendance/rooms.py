"""Room readings in the reader's language: the one place that puts words on a room code.

``rules.parse_room`` splits a code into its parts (access, floor, room, staircase); this
module says them through gettext: « accès 21, 2e étage, salle 32 », "access 21, 2nd floor,
room 32". The planning, the roll, the convocation and the e-mails all read rooms here.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lib.formats import ordinal

from .rules import Room, RoomCodeError, Site, parse_room


def floor_reading(floor: int) -> str:
    """« rez-de-chaussée », « 1er étage », « 2e étage »."""
    if floor == 0:
        return pgettext("room floor", "rez-de-chaussée")
    return pgettext("room floor", "%(ordinal)s étage") % {"ordinal": ordinal(floor)}


def room_reading(room: Room) -> str:
    """The booklet's reading of a room: « accès 21, 2e étage, salle 32 »."""
    parts = {
        "access": room.access,
        "floor": floor_reading(room.floor),
        "number": room.number,
        "staircase": room.staircase,
    }
    if room.staircase:
        return _("accès %(access)s, %(floor)s, salle %(number)s, escalier %(staircase)s") % parts
    return _("accès %(access)s, %(floor)s, salle %(number)s") % parts


def code_reading(*, code: str, site: str) -> str | None:
    """The reading of ``code`` at ``site`` (a ``Site`` value), None when it cannot be read."""
    try:
        return room_reading(parse_room(code=code, site=Site(site)))
    except (RoomCodeError, ValueError):
        return None
