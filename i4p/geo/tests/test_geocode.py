"""geocode(): names, aliases, codes; tolerant of diacritics and other spellings."""

from __future__ import annotations

import pytest

from i4p.core.errors import Invalid
from i4p.geo.geocode import geocode
from i4p.geo.loaders import load_places
from i4p.geo.models import PlaceKind
from i4p.geo.services import add_alias
from i4p.geo.tests.factories import make_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def bangladesh() -> None:
    load_places(["BD"], progress=False)


@pytest.mark.parametrize("text", ["Barisal", "Barisāl", "BARISAL", "barishal"])
def test_barisal_is_found_however_it_is_written(bangladesh: None, text: str) -> None:
    found = geocode(text, country="BD")

    top = {(c.place.kind, c.place.name) for c in found[:3]}
    assert (PlaceKind.ADMIN1, "Barishal") in top
    assert any(c.place.kind == PlaceKind.LOCALITY and c.place.name == "Barisal" for c in found)


def test_the_division_ranks_before_the_town_of_the_same_name(bangladesh: None) -> None:
    found = geocode("Barisal", country="BD")

    assert found[0].place.name == "Barishal"
    assert found[0].kind == "exact"
    assert found[0].matched_name == "Barisal"  # the alias that matched
    assert found[0].score == 100


def test_chittagong_finds_chattogram_through_its_alias(bangladesh: None) -> None:
    found = geocode("Chittagong")

    assert found[0].place.name == "Chattogram"
    assert found[0].place.kind == PlaceKind.ADMIN1
    assert found[0].matched_name == "Chittagong"


def test_a_misspelling_finds_the_place_with_a_lower_score(bangladesh: None) -> None:
    found = geocode("Chatogram", country="BD")

    assert found[0].place.name == "Chattogram"
    assert found[0].kind == "fuzzy"
    assert 75 <= found[0].score < 90


def test_a_prefix_finds_the_place_before_fuzzy_guesses(bangladesh: None) -> None:
    found = geocode("Mymens", country="BD")

    assert found[0].place.name == "Mymensingh"
    assert found[0].kind == "prefix"


def test_an_iso_code_finds_its_place(bangladesh: None) -> None:
    found = geocode("bd-b")

    assert found[0].place.name == "Chattogram"
    assert found[0].kind == "code"


def test_the_country_filter_keeps_other_countries_out() -> None:
    ghana = make_place("Ghana", country_code="GH")
    togo = make_place("Togo", country_code="TG")
    make_place("Volta", kind="admin1", parent=ghana)
    make_place("Volta", kind="admin1", parent=togo)

    assert [c.place.country_code for c in geocode("Volta", country="GH")] == ["GH"]
    assert len(geocode("Volta")) == 2


def test_a_new_alias_is_found_at_once() -> None:
    ghana = make_place("Ghana", country_code="GH")
    region = make_place("Greater Accra", kind="admin1", parent=ghana)
    assert geocode("Nkran") == [] or geocode("Nkran")[0].place != region

    add_alias(region, name="Nkran", language="ak")

    assert geocode("Nkran")[0].place == region


def test_an_empty_query_is_refused() -> None:
    with pytest.raises(Invalid):
        geocode("  ,. ")
