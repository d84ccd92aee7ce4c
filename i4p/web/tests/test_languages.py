"""Pages in French and Arabic: chosen by account, language menu or browser; every string of
every committed catalogue translated, and the compiled .mo files in step with the .po files."""

from __future__ import annotations

import ast
import gettext
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from i4p.accounts.tests.factories import make_user
from i4p.geo.tests.factories import make_place
from i4p.registry.models import ActorKind, Level
from i4p.registry.tests.builders import make_actor

LOCALE = Path(settings.LOCALE_PATHS[0])
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%%")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the entries of a .po file (obsolete `#~` entries left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] = ("msgid", 0)
    seen_msgstr = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        starts_entry = line.startswith(("#", "msgid ", "msgctxt "))
        if not line or (current is not None and seen_msgstr and starts_entry):
            if current is not None:
                entries.append(current)
            current, seen_msgstr = None, False
            if not line:
                continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry()
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(current, target, ast.literal_eval(line))
        else:
            keyword, _, value = line.partition(" ")
            text = ast.literal_eval(value)
            if keyword.startswith("msgstr"):
                seen_msgstr = True
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                target = ("msgstr", index)
                current.msgstr[index] = ""
            else:
                target = (keyword, 0)
                setattr(current, keyword, "")
            _append(current, target, text)
    if current is not None:
        entries.append(current)
    header = dict(line.split(": ", 1) for line in entries[0].msgstr[0].splitlines() if ": " in line)
    return header, entries[1:]


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, (getattr(entry, name) or "") + text)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text)) - {""}


def text_of(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def a_small_directory() -> None:
    ghana = make_place("Ghana", country_code="GH", lat=7.95, lon=-1.03)
    northern = make_place("Northern", kind="admin1", parent=ghana, lat=9.54, lon=-0.9)
    make_actor(
        "National Peace Council",
        acronym="NPC",
        description="Statutory body set up by the National Peace Council Act, 2011.",
        kind=ActorKind.PEACE_COUNCIL,
        level=Level.NATIONAL,
        place=ghana,
        coverage=[ghana],
    )
    make_actor(
        "Tamale Peace Committee",
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.DISTRICT,
        place=northern,
        coverage=[northern],
    )


def test_the_french_and_arabic_catalogues_are_committed() -> None:
    languages = {path.parent.parent.name for path in CATALOGUES}
    assert {"fr", "ar"} <= languages
    for language in languages:
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.django_db
def test_a_user_whose_language_is_french_sees_the_directory_in_french() -> None:
    a_small_directory()
    client = Client()
    client.force_login(make_user("amina", language="fr"))
    page = text_of(client, reverse("registry:directory"))
    assert '<html lang="fr" dir="ltr">' in page
    assert "Qui est qui dans l'infrastructure pour la paix" in page
    assert "Comité local de paix" in page
    assert "2 organisations" in page
    assert "Who is who in the infrastructure for peace" not in page


@pytest.mark.django_db
def test_an_anonymous_visitor_who_picks_arabic_gets_the_directory_right_to_left() -> None:
    a_small_directory()
    client = Client()
    english = text_of(client, reverse("registry:directory"))
    assert 'dir="ltr"' in english
    response = client.post(
        reverse("set_language"), {"language": "ar", "next": reverse("registry:directory")}
    )
    assert response.status_code == 302
    page = text_of(client, response["Location"])
    assert '<html lang="ar" dir="rtl">' in page
    assert "من هو مَن في البنية التحتية للسلام" in page
    assert "لجنة السلام المحلية" in page
    assert "2 منظمتان" in page  # the dual, one of Arabic's six plural forms


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "language", "direction", "heading"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr", "ltr", "Qui est qui dans l'infrastructure pour la paix"),
        ("ar-EG,ar;q=0.9", "ar", "rtl", "من هو مَن في البنية التحتية للسلام"),
        ("de-DE,de;q=0.9", "en", "ltr", "Who is who in the infrastructure for peace"),
    ],
    ids=["french", "arabic", "german-falls-back-to-english"],
)
def test_an_anonymous_visitor_gets_the_language_their_browser_asks_for(
    header: str, language: str, direction: str, heading: str
) -> None:
    page = text_of(Client(), reverse("registry:directory"), accept_language=header)
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert heading in page


@pytest.mark.django_db
def test_the_language_menu_names_each_language_in_itself_on_an_arabic_page() -> None:
    page = text_of(Client(), reverse("registry:directory"), accept_language="ar")
    menu = page.split('<select id="lang"', 1)[1].split("</select>", 1)[0]
    for code, name in [
        ("en", "English"),
        ("fr", "français"),
        ("ar", "العربيّة"),
        ("sw", "Kiswahili"),
    ]:
        assert f'value="{code}"' in menu and name in menu
    assert "الفرنسية" not in menu


@pytest.mark.django_db
def test_a_users_own_language_wins_over_the_browsers() -> None:
    client = Client()
    client.force_login(make_user("omar", language="ar"))
    page = text_of(client, reverse("registry:directory"), accept_language="fr")
    assert '<html lang="ar" dir="rtl">' in page


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_every_string_of_the_catalogue_is_translated_and_none_is_fuzzy(po: Path) -> None:
    header, entries = read_po(po)
    forms = int(re.search(r"nplurals=(\d+)", header["Plural-Forms"]).group(1))  # type: ignore[union-attr]
    assert len(entries) > 300
    problems = []
    for entry in entries:
        expected = set(range(forms)) if entry.msgid_plural else {0}
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if set(entry.msgstr) != expected or not all(entry.msgstr.values()):
            problems.append(f"untranslated or missing plural forms: {entry.msgid!r}")
        wanted = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for text in entry.msgstr.values():
            if text and placeholders(text) != wanted:
                problems.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    assert problems == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parent.parent.name)
def test_the_compiled_catalogue_translates_every_string_as_the_po_file_does(po: Path) -> None:
    _, entries = read_po(po)
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    plural: Any = compiled.plural  # type: ignore[attr-defined]
    stale = []
    for entry in entries:
        if entry.msgid_plural is None:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr[0]:
                stale.append(entry.msgid)
            continue
        for index, text in entry.msgstr.items():
            n = next(n for n in range(1000) if plural(n) == index)
            if compiled.ngettext(entry.msgid, entry.msgid_plural, n) != text:
                stale.append(f"{entry.msgid} [{index}]")
    assert stale == [], "run `make messages` to recompile the .mo files"


@pytest.mark.browser
def test_the_directory_in_arabic_reads_right_to_left_in_a_real_browser(
    page: Any, screenshots: Path
) -> None:
    a_small_directory()
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto("/")
    page.select_option("#lang", "ar")
    page.locator("form.lang button").click()
    page.wait_for_selector("html[dir=rtl]")
    assert page.get_by_role("heading", level=1).inner_text() == "من هو مَن في البنية التحتية للسلام"
    assert page.get_by_test_id("result-count").inner_text() == "2 منظمتان"
    # The brand opens the header at the right edge; the name column is the rightmost one.
    brand = page.locator("header .brand").bounding_box()
    assert brand["x"] > 600
    name, kind = page.locator("table th").nth(0), page.locator("table th").nth(1)
    assert name.bounding_box()["x"] > kind.bounding_box()["x"]
    assert name.inner_text() == "الاسم"
    page.screenshot(path=str(screenshots / "directory-ar-translated.png"), full_page=True)
    # Text entered in English keeps its own direction inside the Arabic page: the full stop
    # ends the sentence instead of jumping to its start.
    page.get_by_role("link", name="National Peace Council").click()
    description = page.get_by_text("Statutory body set up by the National Peace Council Act")
    assert description.evaluate("node => getComputedStyle(node).direction") == "ltr"
    assert page.locator("html").get_attribute("dir") == "rtl"
