"""English is available: the catalogue is complete, compiled, and the pages speak it on request.

The portal's source strings are French (LANGUAGE_CODE = "fr"); English comes from
locale/en/LC_MESSAGES/django.po, compiled to django.mo (both kept in the repository).
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import EnrolmentFactory, ProgrammeYearFactory, UEFactory

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# %(name)s, %s, {name}, and the HTML tags kept inside a few msgids.
PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdfr]|%[sdfr]|\{[A-Za-z_]\w*\}|</?[a-z]+>")


# --- a tiny .po reader (the stdlib has none; polib is not a project dependency) -------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, obsolete (#~) ones left out; the header entry included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    pending_flags: set[str] = set()

    def start(lineno: int) -> Entry:
        nonlocal pending_flags
        entry = Entry(flags=pending_flags, line=lineno)
        pending_flags = set()
        entries.append(entry)
        return entry

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                current, target = None, None
            continue
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt":
            current = start(lineno)
            current.msgctxt = _unquote(rest)
            target = ("msgctxt", 0)
        elif keyword == "msgid":
            if current is None or current.msgctxt is None or current.msgid:
                current = start(lineno)
            current.msgid = _unquote(rest)
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            assert current is not None, f"{path}:{lineno}: msgid_plural without msgid"
            current.msgid_plural = _unquote(rest)
            target = ("msgid_plural", 0)
        elif keyword == "msgstr" or keyword.startswith("msgstr["):
            assert current is not None, f"{path}:{lineno}: msgstr without msgid"
            index = int(keyword[7:-1]) if keyword != "msgstr" else 0
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        elif line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{lineno}: stray string"
            kind, index = target
            text = _unquote(line)
            if kind == "msgstr":
                current.msgstr[index] += text
            elif kind == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + text
            elif kind == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + text
            else:
                current.msgid += text
        else:
            raise AssertionError(f"{path}:{lineno}: cannot read {raw!r}")
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return [e for e in parse_po(PO_FILE) if e.msgid]


# --- the catalogue ---------------------------------------------------------------------------


def test_catalogue_declares_english_and_its_plural_rule():
    header = next(e for e in parse_po(PO_FILE) if not e.msgid)
    meta = header.msgstr[0]
    assert "Language: en\n" in meta
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in meta
    assert "charset=UTF-8" in meta
    assert "fuzzy" not in header.flags, "a fuzzy header makes msgfmt ignore the whole file"


def test_catalogue_has_no_untranslated_or_fuzzy_entry(po_entries):
    assert len(po_entries) > 500  # the whole portal, not a stub
    fuzzy = [e.msgid for e in po_entries if "fuzzy" in e.flags]
    empty = [e.msgid for e in po_entries if not e.msgstr or not all(e.msgstr.values())]
    assert fuzzy == [], f"fuzzy entries are ignored by msgfmt: {fuzzy[:10]}"
    assert empty == [], f"untranslated entries: {empty[:10]}"


def test_plural_entries_have_both_english_forms(po_entries):
    plurals = [e for e in po_entries if e.msgid_plural is not None]
    assert plurals
    for entry in plurals:
        assert sorted(entry.msgstr) == [0, 1], entry.msgid
        assert all(entry.msgstr.values()), entry.msgid


def test_translations_keep_placeholders_and_markup(po_entries):
    wrong = []
    for entry in po_entries:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for index, translation in entry.msgstr.items():
            source = sources[min(index, len(sources) - 1)]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                wrong.append((entry.msgid, translation))
    assert wrong == []


# Names that read the same in English: sites, the managing unit, the address.
SAME_IN_ENGLISH = {
    "EPN12 Santé-Solidarité — Cnam",
    "Cnam — EPN12 Santé-Solidarité",
    "La Plaine Saint-Denis",
    "VAE / VAP",
    "292 rue Saint-Martin, 75003 Paris",
}


def test_translations_are_english_not_copies_of_the_french(po_entries):
    # Single words spelt alike in both languages (« Documents », « Total ») may stay as they are;
    # a phrase may not, unless it is a proper name.
    copied = [
        e.msgid
        for e in po_entries
        if e.msgstr.get(0) == e.msgid
        and len(e.msgid.split()) > 2
        and e.msgid not in SAME_IN_ENGLISH
    ]
    assert copied == []


def test_compiled_catalogue_matches_the_po_file(po_entries):
    """django.mo is what Django reads: it must hold every translation of django.po."""
    with MO_FILE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    for entry in po_entries:
        if entry.msgid_plural is None:
            compiled = [
                catalogue.gettext(entry.msgid)
                if entry.msgctxt is None
                else catalogue.pgettext(entry.msgctxt, entry.msgid)
            ]
        elif entry.msgctxt is None:
            compiled = [catalogue.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
        else:
            compiled = [
                catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        if compiled != [entry.msgstr[i] for i in sorted(entry.msgstr)]:
            stale.append(entry.msgid)
    assert stale == [], f"recompile with `manage.py compilemessages -l en`: {stale[:10]}"


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_in_english_for_an_english_browser():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Sign in to the portal" in html
    assert "Connexion au portail" not in html
    assert "Forgotten your password?" in html


@pytest.mark.django_db
def test_login_page_stays_french_by_default():
    response = Client().get(reverse("login"))
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Connexion au portail" in html
    assert "Sign in to the portal" not in html


@pytest.mark.django_db
def test_language_cookie_wins_over_the_browser_header():
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Sign in to the portal" in html


@pytest.mark.django_db
def test_footer_switcher_sets_english_for_the_next_pages():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("login")).content.decode()
    assert "Sign in to the portal" in html


def _student_dashboard_url() -> str:
    return reverse("certification:student-dashboard")


@pytest.mark.django_db
def test_signed_in_student_pages_speak_english():
    year = ProgrammeYearFactory()
    UEFactory(programme_year=year, code="RSV206")
    enrolment = EnrolmentFactory(programme_year=year)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(enrolment.student.user)

    response = client.get(_student_dashboard_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    # Navigation and header in English…
    for label in ("Grades", "Attendance", "Timetable", "My details", "Sign out"):
        assert f">{label}<" in html, label
    # …and none of their French source strings left.
    for label in ("Mes données", "Se déconnecter", "Navigation principale", "Aller au contenu"):
        assert label not in html, label


@pytest.mark.django_db
def test_signed_in_student_pages_stay_french_without_a_preference():
    enrolment = EnrolmentFactory(programme_year=ProgrammeYearFactory())
    client = Client()
    client.force_login(enrolment.student.user)
    html = client.get(_student_dashboard_url()).content.decode()
    assert '<html lang="fr">' in html
    assert ">Mes données<" in html
    assert ">My details<" not in html
