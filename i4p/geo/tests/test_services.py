"""Place services: paths, folding, codes, aliases and retirement with successors."""

from __future__ import annotations

import datetime as dt

import pytest

from i4p.core.errors import Duplicate, Invalid, WrongState
from i4p.core.models import AuditEvent
from i4p.geo.models import CodeScheme, Place
from i4p.geo.services import (
    add_alias,
    add_code,
    create_place,
    retire_place,
    update_place,
)
from i4p.geo.tests.factories import make_place

pytestmark = pytest.mark.django_db


def test_a_new_place_carries_its_ancestors_in_its_path_and_a_folded_name() -> None:
    ghana = make_place("Ghana", country_code="GH")
    northern = make_place("Northern", kind="admin1", parent=ghana)
    tamale = create_place("Tamalé", kind="locality", parent=northern, latitude=9.4, longitude=-0.8)

    assert tamale.path == f"/{ghana.pk}/{northern.pk}/{tamale.pk}/"
    assert tamale.depth == 2
    assert tamale.name_folded == "tamale"
    assert tamale.country_code == "GH"
    assert AuditEvent.objects.filter(action="place.created", target_uuid=tamale.uuid).exists()


def test_moving_a_place_moves_its_whole_subtree() -> None:
    ghana = make_place("Ghana", country_code="GH")
    brong = make_place("Brong-Ahafo", kind="admin1", parent=ghana)
    bono = make_place("Bono", kind="admin1", parent=ghana)
    district = make_place("Sunyani", kind="admin2", parent=brong)
    town = make_place("Sunyani town", kind="locality", parent=district)

    update_place(district, parent=bono, name="Sunyani Municipal")

    town.refresh_from_db()
    district.refresh_from_db()
    assert district.path == f"/{ghana.pk}/{bono.pk}/{district.pk}/"
    assert town.path == f"/{ghana.pk}/{bono.pk}/{district.pk}/{town.pk}/"
    assert town.depth == 3
    assert district.name_folded == "sunyani municipal"


def test_a_place_cannot_move_inside_itself_or_under_a_smaller_kind() -> None:
    ghana = make_place("Ghana", country_code="GH")
    region = make_place("Volta", kind="admin1", parent=ghana)
    district = make_place("Ho", kind="admin2", parent=region)

    with pytest.raises(Invalid):
        update_place(region, parent=district)
    with pytest.raises(Invalid):
        create_place("Keta", kind="admin1", parent=district)


def test_two_regions_of_one_name_in_one_country_are_refused() -> None:
    ghana = make_place("Ghana", country_code="GH")
    make_place("Volta", kind="admin1", parent=ghana)

    with pytest.raises(Duplicate):
        create_place("VOLTA", kind="admin1", parent=ghana)


def test_invalid_fields_are_named() -> None:
    with pytest.raises(Invalid) as error:
        create_place("Nowhere", kind="country", country_code="X1", latitude=95.0, longitude=0.0)
    assert {"country_code", "latitude"} <= set(error.value.fields)
    with pytest.raises(Invalid) as error:
        create_place("Accra", kind="locality", time_zone="Africa/Nowhere")
    assert {"parent", "time_zone"} <= set(error.value.fields)


def test_a_code_belongs_to_one_place_only() -> None:
    ghana = make_place("Ghana", country_code="GH")
    kenya = make_place("Kenya", country_code="KE")
    add_code(ghana, scheme=CodeScheme.ISO3166_1, code="GH")
    add_code(ghana, scheme=CodeScheme.ISO3166_1, code="GH")  # the same again is fine

    with pytest.raises(Duplicate):
        add_code(kenya, scheme=CodeScheme.ISO3166_1, code="GH")
    assert ghana.codes.count() == 1


def test_an_alias_is_stored_folded() -> None:
    bangladesh = make_place("Bangladesh", country_code="BD")
    barishal = make_place("Barishal", kind="admin1", parent=bangladesh)

    alias = add_alias(barishal, name="Barisāl", language="en")

    assert alias.name_folded == "barisal"


def test_ghanas_ten_regions_became_sixteen_with_successor_links() -> None:
    ghana = make_place("Ghana", country_code="GH")
    brong = create_place("Brong-Ahafo", kind="admin1", parent=ghana, valid_from=dt.date(1959, 4, 4))
    new = [
        create_place(name, kind="admin1", parent=ghana, valid_from=dt.date(2019, 2, 15))
        for name in ("Bono", "Bono East", "Ahafo")
    ]

    retire_place(brong, successors=new, valid_until=dt.date(2019, 2, 15))

    brong.refresh_from_db()
    assert not brong.is_current
    assert set(brong.successors.all()) == set(new)
    assert list(new[0].predecessors.all()) == [brong]
    # A former region's name may be used again by a current one.
    assert create_place("Brong-Ahafo", kind="admin1", parent=ghana).is_current


def test_kenyas_provinces_give_way_to_counties() -> None:
    kenya = make_place("Kenya", country_code="KE")
    coast = make_place("Coast", kind="admin1", parent=kenya)
    counties = [make_place(n, kind="admin1", parent=kenya) for n in ("Mombasa", "Kwale", "Kilifi")]

    retire_place(coast, successors=counties, valid_until=dt.date(2013, 3, 4))

    assert Place.objects.get(pk=coast.pk).valid_until == dt.date(2013, 3, 4)
    assert coast.successors.count() == 3
    with pytest.raises(WrongState):
        retire_place(coast, valid_until=dt.date(2014, 1, 1))
    with pytest.raises(Invalid):
        retire_place(counties[0], successors=[counties[0]], valid_until=dt.date(2020, 1, 1))
