"""The configuration admin edits places through the services: the hierarchy stays right."""

from __future__ import annotations

import pytest

from i4p.accounts.tests.factories import make_user
from i4p.geo.models import Place
from i4p.geo.services import create_place
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


def test_moving_a_place_in_the_admin_moves_its_path_and_keeps_its_folded_name() -> None:
    ghana = create_place("Ghana", kind="country", country_code="GH")
    north = create_place("Northern", kind="admin1", parent=ghana)
    savannah = create_place("Savannah", kind="admin1", parent=ghana)
    town = create_place("Damongo", kind="admin2", parent=north)
    client = logged_in(make_user(is_superuser=True, is_staff=True))
    answer = client.post(
        f"/admin/geo/place/{town.pk}/change/",
        {
            "name": "Damongó",
            "parent": savannah.pk,
            "latitude": "9.08",
            "longitude": "-1.82",
            "population": "",
            "time_zone": "Africa/Accra",
            "valid_from": "",
            "codes-TOTAL_FORMS": "0",
            "codes-INITIAL_FORMS": "0",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    town = Place.objects.get(pk=town.pk)
    assert town.parent == savannah
    assert town.path == f"{savannah.path}{town.pk}/"
    assert town.name_folded == "damongo"


def test_the_change_page_of_a_place_lists_no_other_place_when_there_are_thousands() -> None:
    ghana = create_place("Ghana", kind="country", country_code="GH")
    Place.objects.bulk_create(
        Place(name=f"Village {number}", kind="locality", country_code="GH", parent=ghana)
        for number in range(3000)
    )
    town = create_place("Damongo", kind="admin2", parent=ghana)
    client = logged_in(make_user(is_superuser=True, is_staff=True))
    answer = client.get(f"/admin/geo/place/{town.pk}/change/")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Village 1" not in page
    assert page.count("<option") < 50
    assert len(answer.content) < 200_000


def test_a_place_is_found_by_name_for_its_parent_and_successors_in_the_admin() -> None:
    ghana = create_place("Ghana", kind="country", country_code="GH")
    create_place("Damongo", kind="admin2", parent=ghana)
    client = logged_in(make_user(is_superuser=True, is_staff=True))
    for field in ("parent", "successors"):
        answer = client.get(
            "/admin/autocomplete/",
            {"app_label": "geo", "model_name": "place", "field_name": field, "term": "damon"},
        )
        assert answer.status_code == 200
        assert [row["text"] for row in answer.json()["results"]] == ["Damongo"]
