"""A small early-warning world for tests: two districts, monitors, analysts at three levels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from i4p.accounts.models import Role, User
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import make_user, two_factor_ready
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.warning.frameworks import load_default_framework
from i4p.warning.intake import Draft, submit_report
from i4p.warning.models import Channel, EventType, IndicatorFramework, Report


@dataclass
class WarningWorld:
    ghana: Place
    northern: Place
    tamale: Place  # a district of Northern
    yendi: Place  # another district of Northern
    volta: Place
    framework: IndicatorFramework
    admin: User
    monitor: User  # community monitor in Tamale
    tamale_analyst: User
    yendi_analyst: User
    national_analyst: User


def staff(name: str, role: str, place: Place | None) -> User:
    user = two_factor_ready(make_user(name))
    grant_role(user, by=None, role=role, place=place)
    return user


def build_warning_world() -> WarningWorld:
    ghana = make_place("Ghana", country_code="GH", lat=7.9, lon=-1.0)
    northern = make_place("Northern", kind="admin1", parent=ghana, lat=9.5, lon=-1.0)
    tamale = make_place("Tamale", kind="admin2", parent=northern, lat=9.4, lon=-0.85)
    yendi = make_place("Yendi", kind="admin2", parent=northern, lat=9.44, lon=-0.01)
    volta = make_place("Volta", kind="admin1", parent=ghana, lat=6.6, lon=0.45)
    monitor = make_user("monitor-tamale")
    grant_role(monitor, by=None, role=Role.MONITOR, place=tamale)
    return WarningWorld(
        ghana=ghana,
        northern=northern,
        tamale=tamale,
        yendi=yendi,
        volta=volta,
        framework=load_default_framework(),
        admin=staff("warning-admin", Role.ADMIN, None),
        monitor=monitor,
        tamale_analyst=staff("analyst-tamale", Role.ANALYST, tamale),
        yendi_analyst=staff("analyst-yendi", Role.ANALYST, yendi),
        national_analyst=staff("analyst-ghana", Role.ANALYST, ghana),
    )


# -- review (added for the review pages and services) -------------------------------------


def submit_test_report(
    world: WarningWorld,
    *,
    place: Place | None = None,
    event_code: str = "battles.armed_clash",
    description: str = "Youths from two quarters fought near the market.",
    by: User | None = None,
    occurred_at: dt.datetime | None = None,
) -> Report:
    """A report as the monitor sends it through the web form (placed in Tamale by default)."""
    draft = Draft(
        event_type=EventType.objects.get(framework=world.framework, code=event_code),
        description=description,
        place=place or world.tamale,
        occurred_at=occurred_at,
        injured=2,
    )
    report, _created = submit_report(
        draft, by=by or world.monitor, channel=Channel.WEB, payload={"description": description}
    )
    return report
