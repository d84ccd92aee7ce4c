"""The places API: public reads, scoped writes, locate and geocode, boundaries for maps."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from i4p.accounts.models import Role, TokenScope
from i4p.accounts.services import grant_role, issue_token
from i4p.accounts.tests.factories import make_user
from i4p.geo.models import Place
from i4p.geo.services import add_alias, add_code, retire_place
from i4p.geo.tests.factories import make_place

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def ghana() -> Place:
    country = make_place("Ghana", country_code="GH", lat=7.9, lon=-1.0)
    northern = make_place("Northern", kind="admin1", parent=country, lat=9.5, lon=-1.0)
    make_place("Tamale", kind="locality", parent=northern, lat=9.40, lon=-0.84)
    make_place("Volta", kind="admin1", parent=country, lat=6.6, lon=0.45)
    make_place("Upper East", kind="admin1", parent=country)
    return country


def token_for(role: str, place: Place | None, scope: str = TokenScope.WRITE) -> str:
    user = make_user()
    grant_role(user, by=None, role=role, place=place)
    _, plain = issue_token(user, by=None, name="machine", scope=scope)
    return plain


def send(client: Client, method: str, url: str, token: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_anyone_can_list_places_by_kind_country_and_name(client: Client, ghana: Place) -> None:
    answer = client.get(f"{API}/places", {"kind": "admin1", "country": "gh"})

    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 3
    assert [p["name"] for p in body["items"]] == ["Northern", "Upper East", "Volta"]
    assert body["items"][0]["parent"]["uuid"] == str(ghana.uuid)
    assert "id" not in body["items"][0]

    assert client.get(f"{API}/places", {"q": "tamal"}).json()["items"][0]["name"] == "Tamale"


def test_the_text_filter_looks_at_aliases_too(client: Client, ghana: Place) -> None:
    add_alias(Place.objects.get(name="Northern"), name="Dagbon")

    names = [p["name"] for p in client.get(f"{API}/places", {"q": "dagbon"}).json()["items"]]

    assert names == ["Northern"]


def test_places_can_be_listed_by_parent_and_paged(client: Client, ghana: Place) -> None:
    first = client.get(f"{API}/places", {"parent": str(ghana.uuid), "limit": "2"}).json()
    second = client.get(
        f"{API}/places", {"parent": str(ghana.uuid), "limit": "2", "offset": "2"}
    ).json()

    assert first["count"] == 3
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1


def test_the_place_list_costs_the_same_queries_for_one_or_many_places(
    client: Client, ghana: Place, django_assert_num_queries: Any
) -> None:
    for n in range(30):
        make_place(f"Village {n}", kind="locality", parent=ghana, lat=7.0, lon=-1.0)

    with django_assert_num_queries(2):  # the page (with parents) and the count
        answer = client.get(f"{API}/places", {"limit": 100})
    assert len(answer.json()["items"]) == 35


def test_one_place_shows_codes_aliases_parents_and_successors(client: Client, ghana: Place) -> None:
    northern = Place.objects.get(name="Northern")
    savannah = make_place("Savannah", kind="admin1", parent=ghana)
    add_code(northern, scheme="iso3166-2", code="GH-NP")
    add_alias(northern, name="Northern Region")
    import datetime as dt

    old = make_place("Old Northern", kind="admin1", parent=ghana)
    retire_place(old, successors=[northern, savannah], valid_until=dt.date(2019, 2, 15))
    tamale = Place.objects.get(name="Tamale")

    body = client.get(f"{API}/places/{northern.uuid}").json()
    assert body["codes"] == [{"scheme": "iso3166-2", "code": "GH-NP"}]
    assert body["aliases"] == [{"name": "Northern Region", "language": ""}]
    assert [p["name"] for p in body["predecessors"]] == ["Old Northern"]
    assert {p["name"] for p in client.get(f"{API}/places/{old.uuid}").json()["successors"]} == {
        "Northern",
        "Savannah",
    }
    assert [p["name"] for p in client.get(f"{API}/places/{tamale.uuid}").json()["ancestors"]] == [
        "Ghana",
        "Northern",
    ]


def test_an_unknown_place_is_a_clear_404(client: Client) -> None:
    answer = client.get(f"{API}/places/00000000-0000-0000-0000-000000000000")

    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_an_admin_of_a_region_can_add_a_district_there(client: Client, ghana: Place) -> None:
    northern = Place.objects.get(name="Northern")
    token = token_for(Role.ADMIN, northern)

    answer = send(
        client,
        "post",
        f"{API}/places",
        token,
        {
            "name": "Sagnarigu",
            "kind": "admin2",
            "parent": str(northern.uuid),
            "codes": [{"scheme": "pcode", "code": "GH0810"}],
            "aliases": ["Sagnerigu"],
        },
    )

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["country_code"] == "GH"
    assert body["ancestors"][-1]["name"] == "Northern"
    assert body["codes"] == [{"scheme": "pcode", "code": "GH0810"}]
    place = Place.objects.get(uuid=body["uuid"])
    assert place.path.startswith(northern.path)


def test_an_admin_of_one_region_cannot_add_places_in_another(client: Client, ghana: Place) -> None:
    token = token_for(Role.ADMIN, Place.objects.get(name="Northern"))
    volta = Place.objects.get(name="Volta")

    answer = send(
        client,
        "post",
        f"{API}/places",
        token,
        {"name": "Ho", "kind": "admin2", "parent": str(volta.uuid)},
    )

    assert answer.status_code == 403
    assert not Place.objects.filter(name="Ho").exists()


def test_a_moderator_or_a_read_token_cannot_change_places(client: Client, ghana: Place) -> None:
    northern = Place.objects.get(name="Northern")
    body = {"name": "Ho", "kind": "admin2", "parent": str(northern.uuid)}

    as_moderator = send(client, "post", f"{API}/places", token_for(Role.MODERATOR, None), body)
    read_only = send(
        client, "post", f"{API}/places", token_for(Role.ADMIN, None, TokenScope.READ), body
    )
    anonymous = client.post(f"{API}/places", data=body, content_type="application/json")

    assert as_moderator.status_code == 403
    assert read_only.status_code == 403
    assert read_only.json()["message"] == "This API token is read-only."
    assert anonymous.status_code == 401


def test_only_a_national_admin_can_add_a_country(client: Client, ghana: Place) -> None:
    body = {"name": "Togo", "kind": "country", "country_code": "TG"}

    regional = send(
        client,
        "post",
        f"{API}/places",
        token_for(Role.ADMIN, Place.objects.get(name="Volta")),
        body,
    )
    everywhere = send(client, "post", f"{API}/places", token_for(Role.ADMIN, None), body)

    assert regional.status_code == 403
    assert everywhere.status_code == 201


def test_invalid_places_get_field_errors(client: Client, ghana: Place) -> None:
    token = token_for(Role.ADMIN, None)

    duplicate = send(
        client,
        "post",
        f"{API}/places",
        token,
        {"name": "volta", "kind": "admin1", "parent": str(ghana.uuid)},
    )
    wrong = send(
        client,
        "post",
        f"{API}/places",
        token,
        {"name": "X", "kind": "admin1", "parent": str(ghana.uuid), "latitude": 12.0},
    )

    assert duplicate.status_code == 409
    assert wrong.status_code == 400
    assert "latitude" in wrong.json()["fields"]


def test_a_patch_renames_and_moves_a_place(client: Client, ghana: Place) -> None:
    tamale = Place.objects.get(name="Tamale")
    volta = Place.objects.get(name="Volta")
    token = token_for(Role.ADMIN, ghana)

    answer = send(
        client,
        "patch",
        f"{API}/places/{tamale.uuid}",
        token,
        {"name": "Tamale Metropolis", "parent": str(volta.uuid)},
    )

    assert answer.status_code == 200, answer.content
    tamale.refresh_from_db()
    assert tamale.name == "Tamale Metropolis"
    assert tamale.path == f"{volta.path}{tamale.pk}/"


def test_a_regional_admin_cannot_move_a_place_out_of_their_region(
    client: Client, ghana: Place
) -> None:
    tamale = Place.objects.get(name="Tamale")
    volta = Place.objects.get(name="Volta")
    token = token_for(Role.ADMIN, Place.objects.get(name="Northern"))

    answer = send(
        client, "patch", f"{API}/places/{tamale.uuid}", token, {"parent": str(volta.uuid)}
    )

    assert answer.status_code == 403
    tamale.refresh_from_db()
    assert tamale.parent is not None and tamale.parent.name == "Northern"


def test_locate_answers_with_public_ids_and_precision(client: Client, ghana: Place) -> None:
    body = client.get(f"{API}/places/locate", {"lat": "9.41", "lon": "-0.85"}).json()

    assert body["country"]["uuid"] == str(ghana.uuid)
    assert body["admin1"]["name"] == "Northern"
    assert body["nearest"]["name"] == "Tamale"
    assert body["method"] == "nearest"
    assert 0 < body["distance_m"] < 5_000
    assert client.get(f"{API}/places/locate", {"lat": "99", "lon": "0"}).status_code == 400


def test_geocode_answers_ranked_candidates(client: Client, ghana: Place) -> None:
    body = client.get(f"{API}/places/geocode", {"q": "Tamalé", "country": "GH"}).json()

    assert body[0]["place"]["name"] == "Tamale"
    assert body[0]["kind"] == "exact"
    assert body[0]["score"] == 100
    assert client.get(f"{API}/places/geocode", {"q": ""}).status_code == 400


def test_boundaries_are_served_as_geojson_for_offline_maps(client: Client, ghana: Place) -> None:
    import io

    from i4p.geo.boundaries import load_boundaries

    square = [[[0, 6], [1, 6], [1, 7], [0, 7], [0, 6]]]
    feature = {
        "type": "Feature",
        "properties": {"name": "Volta"},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    load_boundaries(
        io.BytesIO(json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()),
        country="GH",
        level="admin1",
    )

    answer = client.get(f"{API}/places/{ghana.uuid}/boundaries.geojson")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/geo+json"
    body = json.loads(answer.content)
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["properties"]["name"] == "Volta"
    assert body["features"][0]["geometry"]["type"] == "Polygon"


def test_the_permission_name_is_the_one_accounts_grants() -> None:
    from i4p.accounts.permissions import Perm
    from i4p.geo.api import MANAGE_PLACES

    assert Perm(MANAGE_PLACES) is Perm.MANAGE_PLACES


def test_boundaries_of_an_unknown_kind_are_a_clear_error(client: Client, ghana: Place) -> None:
    answer = client.get(f"{API}/places/{ghana.uuid}/boundaries.geojson", {"kind": "planet"})

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"kind": ["planet"]}


@pytest.mark.parametrize("body", ["[]", '{"nmae": "Typo"}', '"Tamale"'])
def test_a_patch_that_is_not_an_object_of_known_fields_is_refused(
    client: Client, ghana: Place, body: str
) -> None:
    tamale = Place.objects.get(name="Tamale")

    answer = client.patch(
        f"{API}/places/{tamale.uuid}",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(Role.ADMIN, None)}",
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
