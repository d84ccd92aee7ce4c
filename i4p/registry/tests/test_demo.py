"""`i4p demo`: real quoted peace infrastructure, marked illustrations, scoped logins, re-runs."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pycountry
import pytest
from django.core.management import call_command
from django.db.models import Q

from conftest import SHARED
from i4p.accounts.models import STAFF_ROLES, Role, RoleGrant, User
from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.accounts.services import needs_two_factor
from i4p.core.models import AuditEvent
from i4p.geo.models import CodeScheme, Place, PlaceCode
from i4p.geo.tests.factories import make_place
from i4p.registry.demo import data
from i4p.registry.demo.loader import DemoSummary, load_demo
from i4p.registry.management.commands.demo import summary_lines
from i4p.registry.models import Actor, ActorVersion, Relation, RelationKind, Representative
from i4p.registry.services import ActorData, update_actor
from i4p.web.tests.world import logged_in

# Organisations the demo must show, by name or acronym.
REQUIRED = [
    "GAMIP", "GPPAC", "WANEP", "ECOWAS", "African Union", "Panel of the Wise", "CEWS",
    "Peace and Security Council (African Union)", "ACCORD", "National Peace Council (Ghana)",
    "National Steering Committee on Peacebuilding and Conflict Management",
    "Department on Ethnic, Religious Policy and Civil Society Interaction", "EPLO", "CSDN",
    "Pacific Islands Forum", "AIPR", "APRC", "UNDP", "UN PBSO", "IPU", "PGA", "WFUNA",
    "UNA-USA", "UN Foundation", "QUNO", "Principles for Peace Foundation",
    "Conducive Space for Peace", "Inclusive Peace", "Inclusive Security",
    "PeaceInfrastructures.org",
]  # fmt: skip


def _fold_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def shared_seeds() -> list[str]:
    """The seed documents, whitespace folded (page breaks split sentences); skip without them."""
    folder = SHARED / "seeds"
    files = sorted(folder.glob("*.txt")) if folder.exists() else []
    if not files:
        pytest.skip("needs ../shared/seeds (the shared folder is absent)")
    return [_fold_space(path.read_text(encoding="utf-8")) for path in files]


def _quoted(quote: str, seeds: list[str]) -> bool:
    return bool(quote.strip()) and any(_fold_space(quote) in seed for seed in seeds)


def _subdivision_names() -> dict[str, str]:
    return {subdivision.code: subdivision.name for subdivision in pycountry.subdivisions}


def make_demo_places() -> dict[str, Place]:
    """Every country and subdivision the demo names, coded as the real place loader codes them."""
    places: dict[str, Place] = {}
    codes = data.place_codes()
    for code in (c for c in codes if "-" not in c):
        country = pycountry.countries.get(alpha_2=code)
        places[code] = make_place(country.name if country else code, country_code=code)
        PlaceCode.objects.create(place=places[code], scheme=CodeScheme.ISO3166_1, code=code)
    subdivisions = _subdivision_names()
    for code in (c for c in codes if "-" in c):
        parent = places[code.split("-")[0]]
        places[code] = make_place(subdivisions.get(code, code), kind="admin1", parent=parent)
        PlaceCode.objects.create(place=places[code], scheme=CodeScheme.ISO3166_2, code=code)
    return places


@pytest.fixture
def demo(db: None) -> Iterator[DemoSummary]:
    make_demo_places()
    yield load_demo(places=None)


def _counts() -> dict[str, int]:
    return {
        "actors": Actor.objects.count(),
        "relations": Relation.objects.count(),
        "users": User.objects.count(),
        "grants": RoleGrant.objects.count(),
        "representatives": Representative.objects.count(),
        "versions": ActorVersion.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_every_quote_in_the_demo_data_is_a_sentence_of_a_seed_document() -> None:
    seeds = shared_seeds()
    quotes = [q for a in data.ACTORS for q in a.quotes] + [
        r.quote for r in data.RELATIONS if r.quote is not None
    ]
    missing = [q.quote[:80] for q in quotes if not _quoted(q.quote, seeds)]
    assert missing == []
    assert {q.title for q in quotes} <= set(data.DOCUMENTS)


def test_every_place_of_the_demo_is_a_real_iso_3166_code() -> None:
    subdivisions = _subdivision_names()
    for code in data.place_codes():
        if "-" in code:
            assert code in subdivisions, code
        else:
            assert pycountry.countries.get(alpha_2=code) is not None, code


def test_the_demo_loads_at_least_forty_organisations_and_their_relations(
    demo: DemoSummary,
) -> None:
    assert Actor.objects.count() == demo.actor_total == len(data.ACTORS) >= 40
    assert Relation.objects.count() == demo.relation_total == len(data.RELATIONS)
    assert demo.missing_places == []
    assert Actor.objects.filter(illustrative=False).count() >= 40


def test_every_organisation_the_demo_promises_is_there(demo: DemoSummary) -> None:
    missing = [
        name
        for name in REQUIRED
        if not Actor.objects.filter(Q(name=name) | Q(acronym=name)).exists()
    ]
    assert missing == []
    npc = Actor.objects.get(name="National Peace Council (Ghana)")
    regional = Relation.objects.filter(target=npc, kind=RelationKind.REPORTS_TO)
    assert regional.count() == 10  # the document's number, the names illustrative
    assert all(r.source.illustrative and r.illustrative for r in regional)


def test_every_entry_not_marked_illustrative_quotes_a_seed_document_verbatim(
    demo: DemoSummary,
) -> None:
    seeds = shared_seeds()
    for actor in Actor.objects.filter(illustrative=False):
        assert actor.sources, actor.name
        for source in actor.sources:
            assert source["title"] in data.DOCUMENTS, actor.name
            assert _quoted(source["quote"], seeds), (actor.name, source["quote"][:60])
    for relation in Relation.objects.filter(illustrative=False):
        assert _quoted(relation.source_text, seeds), str(relation)


def test_illustrative_entries_say_so_in_their_source_note(demo: DemoSummary) -> None:
    illustrative = Actor.objects.filter(illustrative=True)
    assert illustrative.count() == demo.actor_illustrative > 0
    for actor in illustrative:
        assert actor.sources[0]["note"].startswith(data.ILLUSTRATIVE), actor.name
    for relation in Relation.objects.filter(illustrative=True):
        assert relation.source_text.startswith(data.ILLUSTRATIVE), str(relation)


def test_seats_and_coverage_follow_iso_codes(demo: DemoSummary) -> None:
    ecowas = Actor.objects.get(acronym="ECOWAS")
    assert ecowas.place is not None and ecowas.place.country_code == "NG"
    covered = set(ecowas.coverage.values_list("codes__code", flat=True))
    assert set(data.ECOWAS_MEMBERS) <= covered
    northern = Actor.objects.get(name="Northern Regional Peace Council")
    assert northern.place is not None
    assert northern.place.codes.get().code == "GH-NP"
    assert northern.coverage.count() == 3  # the region of 2011, now three regions


def test_the_demo_writes_through_the_services_so_the_audit_log_tells_it(
    demo: DemoSummary,
) -> None:
    admin = User.objects.get(username="demo-admin")
    created = AuditEvent.objects.filter(action="actor.created", by=admin)
    assert created.count() == len(data.ACTORS)
    assert AuditEvent.objects.filter(action="relation.added", by=admin).count() == len(
        data.RELATIONS
    )
    assert AuditEvent.objects.filter(action="grant.given").count() == len(data.USERS)


def test_running_the_demo_twice_changes_nothing(demo: DemoSummary) -> None:
    before = _counts()
    again = load_demo(places=None)
    assert _counts() == before
    assert (again.actors.created, again.actors.updated) == (0, 0)
    assert (again.relations.created, again.relations.updated) == (0, 0)
    assert again.users.created == 0
    assert [login.totp_secret for login in again.logins] == [
        login.totp_secret for login in demo.logins
    ]


def test_a_demo_entry_changed_by_hand_is_restored_by_the_next_run(demo: DemoSummary) -> None:
    admin = User.objects.get(username="demo-admin")
    wanep = Actor.objects.get(acronym="WANEP")
    update_actor(
        wanep,
        ActorData(name=wanep.name, kind=wanep.kind, level=wanep.level, description="Changed."),
        by=admin,
    )
    again = load_demo(places=None)
    wanep.refresh_from_db()
    assert again.actors.updated == 1
    assert wanep.description != "Changed."
    assert wanep.coverage.count() == len(data.WEST_AFRICA)


def test_demo_users_hold_the_scopes_the_summary_prints(demo: DemoSummary) -> None:
    printed = "\n".join(summary_lines(demo, 1.0))
    assert data.DEMO_PASSWORD in printed
    for entry in data.USERS:
        user = User.objects.get(username=entry.username)
        grants = {(g.role, g.place.codes.get().code if g.place else "") for g in user.grants.all()}
        assert grants == {(entry.role, entry.place)}
        login = next(x for x in demo.logins if x.username == entry.username)
        row = next(line for line in printed.splitlines() if f" {entry.username} " in line)
        assert entry.role in row and login.scope in row
        assert (entry.place in login.scope) if entry.place else login.scope == "everywhere"
        if entry.role in STAFF_ROLES:
            assert login.totp_secret == user.totp_secret != ""
            assert login.totp_secret in row
            assert needs_two_factor(user)
        else:
            assert login.totp_secret == "" and not needs_two_factor(user)


def test_the_demo_moderator_acts_in_ghanas_northern_region_only(demo: DemoSummary) -> None:
    moderator = User.objects.get(username="demo-moderator")
    tamale = Actor.objects.get(name="Tamale District Peace Council")
    wajir = Actor.objects.get(name="Wajir District Peace Committee")
    assert can(moderator, Perm.MODERATE, tamale.place)
    assert not can(moderator, Perm.MODERATE, wajir.place)


def test_the_demo_responder_speaks_for_a_district_peace_committee(demo: DemoSummary) -> None:
    responder = User.objects.get(username="demo-responder")
    wajir = Actor.objects.get(name="Wajir District Peace Committee")
    assert Representative.objects.filter(user=responder, actor=wajir).exists()
    assert can(responder, Perm.VIEW_PRIVATE, wajir.place)
    marsabit = Actor.objects.get(name="Marsabit District Peace Committee")
    assert not can(responder, Perm.VIEW_PRIVATE, marsabit.place)


def test_the_demo_command_prints_counts_the_address_and_the_logins(db: None) -> None:
    make_demo_places()
    out = io.StringIO()
    call_command("demo", "--no-places", stdout=out)
    text = out.getvalue()
    assert f"Organisations: {len(data.ACTORS)}" in text
    assert "http://127.0.0.1:8000" in text
    assert "for this demo only" in text
    for entry in data.USERS:
        assert entry.username in text


def test_the_demo_admin_opens_the_django_admin_where_gateways_and_escalation_are_set(
    demo: DemoSummary,
) -> None:
    admin = User.objects.get(username=next(u.username for u in data.USERS if u.role == Role.ADMIN))
    client = logged_in(admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/warning/gateway/").status_code == 200


def test_a_demo_admin_made_before_it_was_a_superuser_becomes_one_on_the_next_run(
    demo: DemoSummary,
) -> None:
    User.objects.filter(username="demo-admin").update(is_superuser=False, is_staff=False)
    load_demo(places=None)
    admin = User.objects.get(username="demo-admin")
    assert admin.is_superuser and admin.is_staff
    assert logged_in(admin).get("/admin/").status_code == 200
