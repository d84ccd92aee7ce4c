"""A day is a local day: the same instant falls on different days in Accra and Nairobi."""

from __future__ import annotations

import datetime as dt

import pytest

from i4p.geo.localtime import day_bounds, local_day, zone_of
from i4p.geo.services import create_place

pytestmark = pytest.mark.django_db


def test_the_same_instant_is_a_different_day_in_different_places() -> None:
    accra = create_place("Ghana", kind="country", country_code="GH", time_zone="Africa/Accra")
    nairobi = create_place("Kenya", kind="country", country_code="KE", time_zone="Africa/Nairobi")
    late = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    assert local_day(late, accra) == dt.date(2026, 3, 1)
    assert local_day(late, nairobi) == dt.date(2026, 3, 2)


def test_a_place_without_a_zone_takes_its_parents() -> None:
    kenya = create_place("Kenya", kind="country", country_code="KE", time_zone="Africa/Nairobi")
    wajir = create_place("Wajir", kind="admin1", parent=kenya)
    wajir.time_zone = ""
    assert zone_of(wajir).key == "Africa/Nairobi"


def test_a_local_day_starts_and_ends_at_local_midnight() -> None:
    kenya = create_place("Kenya", kind="country", country_code="KE", time_zone="Africa/Nairobi")
    start, end = day_bounds(dt.date(2026, 3, 2), kenya)
    assert start == dt.datetime(2026, 3, 1, 21, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)
