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
