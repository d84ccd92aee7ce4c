"""Registry services: submission, moderation, merges that keep relations, history, scoping."""

from __future__ import annotations

from typing import Any

import pytest

from i4p.accounts.models import Role
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import make_user
from i4p.core.errors import Duplicate, Invalid, NotAllowed, WrongState
from i4p.core.models import AuditEvent
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.registry.models import (
    Actor,
    ActorKind,
    ActorVersion,
    Level,
    Moderation,
    Relation,
    RelationKind,
    Representative,
)
from i4p.registry.services import (
    ActorData,
    RelationData,
    add_relation,
    create_actor,
    find_duplicates,
    merge_actors,
    publish_actor,
    reject_actor,
    set_representative,
    submit_actor,
    update_actor,
)

pytestmark = pytest.mark.django_db


def lpc(name: str, place: Place | None = None, **extra: Any) -> ActorData:
    return ActorData(
        name=name,
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.DISTRICT,
        place=place,
        **extra,
    )


def test_a_public_submission_waits_for_moderation_and_names_likely_duplicates() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user()
    grant_role(admin, by=None, role=Role.ADMIN)
    create_actor(
        ActorData(
            name="West Africa Network for Peacebuilding",
            acronym="WANEP",
            kind=ActorKind.NETWORK,
            level=Level.REGIONAL,
            place=ghana,
        ),
        by=admin,
    )
    actor, duplicates = submit_actor(
        ActorData(
            name="West Africa Network for Peace-building",
            kind=ActorKind.NETWORK,
            level=Level.REGIONAL,
            place=ghana,
        ),
        by=None,
        submitter_email="someone@example.org",
    )
    assert actor.moderation == Moderation.PENDING
    assert [d.acronym for d, _score in duplicates] == ["WANEP"]
    event = AuditEvent.objects.get(action="actor.submitted", target_uuid=actor.uuid)
    assert "submitter_email" not in event.note and "someone@example.org" not in str(event.fields)


def test_duplicates_are_looked_for_in_the_same_country_only() -> None:
    ghana = make_place("Ghana", country_code="GH")
    kenya = make_place("Kenya", country_code="KE")
    admin = make_user(is_superuser=True)
    create_actor(lpc("Peace Committee of Nakuru", kenya), by=admin)
    assert find_duplicates("Peace Committee of Nakuru", country_code="GH") == []
    assert find_duplicates("Peace Comittee of Nakuru", country_code="KE")
    assert ghana  # the Ghana place exists, and nothing there is alike


def test_bad_input_is_refused_with_field_errors_and_stores_nothing() -> None:
    with pytest.raises(Invalid) as error:
        submit_actor(
            ActorData(name=" ", kind="club", level="planet", website="ftp://x"),
            by=None,
            submitter_email="nope",
        )
    assert {"name", "kind", "level", "website"} <= set(error.value.fields)
    assert Actor.objects.count() == 0


def test_a_moderator_publishes_or_rejects_with_a_reason_only_in_their_area() -> None:
    ghana = make_place("Ghana", country_code="GH")
    north = make_place("Northern", kind="admin1", parent=ghana)
    volta = make_place("Volta", kind="admin1", parent=ghana)
    moderator = make_user()
    grant_role(moderator, by=None, role=Role.MODERATOR, place=north)
    inside, _ = submit_actor(lpc("Tamale Peace Committee", north), by=None)
    outside, _ = submit_actor(lpc("Ho Peace Committee", volta), by=None)
    with pytest.raises(NotAllowed):
        publish_actor(outside, by=moderator)
    with pytest.raises(Invalid):
        reject_actor(inside, by=moderator, reason="  ")
    publish_actor(inside, by=moderator)
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert inside.moderation == Moderation.PUBLISHED and inside.verified_by == moderator
    assert outside.moderation == Moderation.PENDING
    with pytest.raises(WrongState):
        publish_actor(inside, by=moderator)


def test_every_edit_is_kept_in_the_history_with_before_and_after() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user(is_superuser=True)
    actor = create_actor(lpc("Bawku Peace Council", ghana), by=admin)
    update_actor(
        actor,
        lpc("Bawku Municipal Peace Council", ghana, acronym="BMPC"),
        by=admin,
        note="name as in the 2023 report",
    )
    version = ActorVersion.objects.filter(actor=actor, action="edited").get()
    assert version.changes["name"] == ["Bawku Peace Council", "Bawku Municipal Peace Council"]
    assert version.changes["acronym"] == ["", "BMPC"]
    assert version.by == admin
    assert AuditEvent.objects.filter(action="actor.edited", target_uuid=actor.uuid).exists()


def test_merging_a_duplicate_keeps_its_relations_names_and_identifiers() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user(is_superuser=True)
    council = create_actor(
        ActorData(
            name="National Peace Council",
            kind=ActorKind.PEACE_COUNCIL,
            level=Level.NATIONAL,
            place=ghana,
        ),
        by=admin,
    )
    keep = create_actor(lpc("Bolgatanga Peace Committee", ghana), by=admin)
    dupe = create_actor(lpc("Bolga Peace Cttee", ghana, identifiers=[("local", "BPC-1")]), by=admin)
    other = create_actor(lpc("Navrongo Peace Committee", ghana), by=admin)
    add_relation(dupe, council, RelationData(kind=RelationKind.REPORTS_TO), by=admin)
    add_relation(
        keep, council, RelationData(kind=RelationKind.REPORTS_TO, source_text="quote"), by=admin
    )
    add_relation(other, dupe, RelationData(kind=RelationKind.PARTNER_OF), by=admin)
    add_relation(dupe, keep, RelationData(kind=RelationKind.LIAISES_WITH), by=admin)

    merge_actors(dupe, into=keep, by=admin)

    dupe.refresh_from_db()
    keep.refresh_from_db()
    assert dupe.moderation == Moderation.MERGED and dupe.merged_into == keep
    assert "Bolga Peace Cttee" in keep.other_names
    assert keep.identifiers.get().identifier == "BPC-1"
    edges = set(Relation.objects.values_list("source__name", "kind", "target__name"))
    assert edges == {
        ("Bolgatanga Peace Committee", "reports-to", "National Peace Council"),
        ("Navrongo Peace Committee", "partner-of", "Bolgatanga Peace Committee"),
    }
    with pytest.raises(WrongState):
        update_actor(dupe, lpc("x", ghana), by=admin)


def test_a_relation_is_recorded_once_and_never_to_itself() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user(is_superuser=True)
    one = create_actor(lpc("One", ghana), by=admin)
    two = create_actor(lpc("Two", ghana), by=admin)
    add_relation(one, two, RelationData(kind=RelationKind.MEMBER_OF), by=admin)
    with pytest.raises(Duplicate):
        add_relation(one, two, RelationData(kind=RelationKind.MEMBER_OF), by=admin)
    with pytest.raises(Invalid):
        add_relation(one, one, RelationData(kind=RelationKind.MEMBER_OF), by=admin)
    assert Relation.objects.count() == 1


def test_an_identifier_belongs_to_one_actor_only() -> None:
    admin = make_user(is_superuser=True)
    create_actor(lpc("One", identifiers=[("iati", "GH-DSW-1")]), by=admin)
    with pytest.raises(Duplicate):
        create_actor(lpc("Two", identifiers=[("iati", "GH-DSW-1")]), by=admin)
    assert Actor.objects.count() == 1


def test_a_responder_can_act_for_their_peace_committee() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user(is_superuser=True)
    committee = create_actor(lpc("Yendi Peace Committee", ghana), by=admin)
    responder = make_user()
    grant_role(responder, by=admin, role=Role.RESPONDER, place=ghana)
    set_representative(responder, committee, by=admin)
    assert Representative.objects.get(user=responder).actor == committee
    assert list(responder.represents.values_list("actor__name", flat=True)) == [
        "Yendi Peace Committee"
    ]


def test_an_editor_scoped_to_a_region_cannot_create_outside_it() -> None:
    ghana = make_place("Ghana", country_code="GH")
    north = make_place("Northern", kind="admin1", parent=ghana)
    volta = make_place("Volta", kind="admin1", parent=ghana)
    editor = make_user()
    grant_role(editor, by=None, role=Role.MODERATOR, place=north)
    create_actor(lpc("Inside", north), by=editor)
    with pytest.raises(NotAllowed):
        create_actor(lpc("Outside", volta), by=editor)
    with pytest.raises(NotAllowed):
        create_actor(lpc("Nowhere"), by=editor)
    assert list(Actor.objects.values_list("name", flat=True)) == ["Inside"]


def test_names_that_differ_in_one_place_word_are_not_duplicates_but_acronyms_match() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user(is_superuser=True)
    create_actor(
        ActorData(
            name="Northern Regional Peace Council",
            kind=ActorKind.PEACE_COUNCIL,
            level=Level.SUBNATIONAL,
            place=ghana,
        ),
        by=admin,
    )
    create_actor(
        ActorData(
            name="West Africa Network for Peacebuilding",
            acronym="WANEP",
            kind=ActorKind.NETWORK,
            level=Level.REGIONAL,
            place=ghana,
        ),
        by=admin,
    )
    assert find_duplicates("Volta Regional Peace Council", country_code="GH") == []
    assert [a.acronym for a, _ in find_duplicates("WANEP", country_code="GH")] == ["WANEP"]


def test_an_edit_that_changes_nothing_writes_nothing() -> None:
    ghana = make_place("Ghana", country_code="GH")
    admin = make_user(is_superuser=True)
    actor = create_actor(lpc("Wa Peace Committee", ghana, themes=[]), by=admin)
    stamp = Actor.objects.get(pk=actor.pk).updated_at
    events = AuditEvent.objects.count()
    update_actor(actor, lpc("Wa Peace Committee", ghana), by=admin)
    assert Actor.objects.get(pk=actor.pk).updated_at == stamp
    assert AuditEvent.objects.count() == events
    assert not ActorVersion.objects.filter(actor=actor, action="edited").exists()
