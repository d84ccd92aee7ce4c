"""The default indicator framework: what a WANEP- or CEWARN-style network watches, with event
types that line up with ACLED's event types and sub-types so external data can be compared.

Indicators follow the sectors of WANEP's WARN system and CEWARN's split into conflict and
peace indicators. Loading is idempotent; a changed framework is loaded as a new version, so
reports keep the version they were made with.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from i4p.core.audit import record_event
from i4p.warning.models import (
    EventType,
    Indicator,
    IndicatorFramework,
    Polarity,
    Sector,
    ValueType,
)

DEFAULT_SLUG = "ewer"
DEFAULT_VERSION = 1

# (code, name, ACLED event type, [(sub-code, name, ACLED sub-event type, SMS code)])
ACLED_TYPES: list[tuple[str, str, str, list[tuple[str, str, str, str]]]] = [
    (
        "battles",
        "Battles",
        "Battles",
        [
            ("armed_clash", "Armed clash", "Armed clash", "AC"),
            (
                "government_regains_territory",
                "Government regains territory",
                "Government regains territory",
                "GR",
            ),
            (
                "non_state_actor_overtakes_territory",
                "Non-state actor overtakes territory",
                "Non-state actor overtakes territory",
                "NT",
            ),
        ],
    ),
    (
        "explosions",
        "Explosions and remote violence",
        "Explosions/Remote violence",
        [
            ("chemical_weapon", "Chemical weapon", "Chemical weapon", "CW"),
            ("air_drone_strike", "Air or drone strike", "Air/drone strike", "AS"),
            ("suicide_bomb", "Suicide bomb", "Suicide bomb", "SB"),
            (
                "shelling",
                "Shelling, artillery or missile attack",
                "Shelling/artillery/missile attack",
                "SH",
            ),
            (
                "remote_explosive",
                "Remote explosive, landmine or IED",
                "Remote explosive/landmine/IED",
                "IE",
            ),
            ("grenade", "Grenade", "Grenade", "GN"),
        ],
    ),
    (
        "violence_against_civilians",
        "Violence against civilians",
        "Violence against civilians",
        [
            ("sexual_violence", "Sexual violence", "Sexual violence", "SV"),
            ("attack", "Attack on civilians", "Attack", "AT"),
            (
                "abduction",
                "Abduction or forced disappearance",
                "Abduction/forced disappearance",
                "AB",
            ),
        ],
    ),
    (
        "protests",
        "Protests",
        "Protests",
        [
            ("peaceful_protest", "Peaceful protest", "Peaceful protest", "PP"),
            (
                "protest_with_intervention",
                "Protest with intervention",
                "Protest with intervention",
                "PI",
            ),
            (
                "excessive_force",
                "Excessive force against protesters",
                "Excessive force against protesters",
                "EF",
            ),
        ],
    ),
    (
        "riots",
        "Riots",
        "Riots",
        [
            ("violent_demonstration", "Violent demonstration", "Violent demonstration", "VD"),
            ("mob_violence", "Mob violence", "Mob violence", "MV"),
        ],
    ),
    (
        "strategic_developments",
        "Strategic developments",
        "Strategic developments",
        [
            ("agreement", "Agreement", "Agreement", "AG"),
            ("arrests", "Arrests", "Arrests", "AR"),
            ("change_to_group", "Change to group or activity", "Change to group/activity", "CG"),
            ("disrupted_weapons_use", "Disrupted weapons use", "Disrupted weapons use", "DW"),
            (
                "base_established",
                "Headquarters or base established",
                "Headquarters or base established",
                "HQ",
            ),
            (
                "looting",
                "Looting or property destruction",
                "Looting/property destruction",
                "LT",
            ),
            (
                "non_violent_transfer",
                "Non-violent transfer of territory",
                "Non-violent transfer of territory",
                "TT",
            ),
            ("other", "Other strategic development", "Other", "OT"),
        ],
    ),
]

# (code, name, sector, polarity, value type)
INDICATORS: list[tuple[str, str, str, str, str]] = [
    # Security
    (
        "armed_group_presence",
        "Armed groups seen in the area",
        Sector.SECURITY,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "small_arms",
        "Small arms and light weapons circulating",
        Sector.SECURITY,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "communal_clashes",
        "Clashes between communities",
        Sector.SECURITY,
        Polarity.CONFLICT,
        ValueType.COUNT,
    ),
    (
        "cattle_raids",
        "Cattle raids or rustling",
        Sector.SECURITY,
        Polarity.CONFLICT,
        ValueType.COUNT,
    ),
    ("kidnappings", "Kidnappings", Sector.SECURITY, Polarity.CONFLICT, ValueType.COUNT),
    (
        "roadblocks",
        "Illegal roadblocks or checkpoints",
        Sector.SECURITY,
        Polarity.CONFLICT,
        ValueType.COUNT,
    ),
    (
        "security_presence",
        "Security forces present and trusted",
        Sector.SECURITY,
        Polarity.PEACE,
        ValueType.SCALE,
    ),
    # Governance and human rights
    (
        "hate_speech",
        "Hate speech or inflammatory messages",
        Sector.GOVERNANCE,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "arbitrary_arrests",
        "Arbitrary arrests or detentions",
        Sector.GOVERNANCE,
        Polarity.CONFLICT,
        ValueType.COUNT,
    ),
    (
        "election_disputes",
        "Disputes over elections or appointments",
        Sector.POLITICAL,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "chieftaincy_disputes",
        "Chieftaincy or succession disputes",
        Sector.GOVERNANCE,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "exclusion",
        "Groups excluded from decisions or services",
        Sector.GOVERNANCE,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "dialogue_held",
        "Dialogue between communities held",
        Sector.GOVERNANCE,
        Polarity.PEACE,
        ValueType.COUNT,
    ),
    (
        "peace_committee_active",
        "Peace committee met or mediated",
        Sector.GOVERNANCE,
        Polarity.PEACE,
        ValueType.YES_NO,
    ),
    (
        "authorities_responded",
        "Authorities responded to a warning",
        Sector.GOVERNANCE,
        Polarity.PEACE,
        ValueType.YES_NO,
    ),
    # Social and economic
    (
        "youth_unemployment",
        "Idle or unemployed youth gathering",
        Sector.SOCIAL_ECONOMIC,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    (
        "food_prices",
        "Sharp rise in food prices",
        Sector.SOCIAL_ECONOMIC,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    ("land_disputes", "Land disputes", Sector.SOCIAL_ECONOMIC, Polarity.CONFLICT, ValueType.COUNT),
    (
        "displacement_influx",
        "People arriving after fleeing",
        Sector.HUMANITARIAN,
        Polarity.CONFLICT,
        ValueType.COUNT,
    ),
    (
        "joint_markets",
        "Markets shared across communities",
        Sector.SOCIAL_ECONOMIC,
        Polarity.PEACE,
        ValueType.YES_NO,
    ),
    (
        "returns",
        "Displaced people returning home",
        Sector.HUMANITARIAN,
        Polarity.PEACE,
        ValueType.COUNT,
    ),
    # Environment and natural resources
    (
        "farmer_herder",
        "Farmer-herder tension over land or water",
        Sector.ENVIRONMENT,
        Polarity.CONFLICT,
        ValueType.SCALE,
    ),
    ("water_scarcity", "Water scarcity", Sector.ENVIRONMENT, Polarity.CONFLICT, ValueType.SCALE),
    ("drought_flood", "Drought or flood", Sector.ENVIRONMENT, Polarity.CONFLICT, ValueType.YES_NO),
    (
        "resource_sharing",
        "Agreement on sharing pasture or water",
        Sector.ENVIRONMENT,
        Polarity.PEACE,
        ValueType.YES_NO,
    ),
    # Health
    ("disease_outbreak", "Disease outbreak", Sector.HEALTH, Polarity.CONFLICT, ValueType.YES_NO),
    (
        "health_services_attacked",
        "Health workers or facilities attacked",
        Sector.HEALTH,
        Polarity.CONFLICT,
        ValueType.COUNT,
    ),
]


def framework_spec() -> dict[str, Any]:
    return {"types": ACLED_TYPES, "indicators": INDICATORS}


@transaction.atomic
def load_default_framework(*, by: Any = None) -> IndicatorFramework:
    """Create the default framework if it is missing; an existing one is left as it is."""
    framework, created = IndicatorFramework.objects.get_or_create(
        slug=DEFAULT_SLUG,
        version=DEFAULT_VERSION,
        defaults={
            "name": "Early warning and early response",
            "description": (
                "Conflict and peace indicators by sector, in the manner of WANEP's WARN and "
                "CEWARN; incident types and sub-types as ACLED codes events."
            ),
        },
    )
    if not created:
        return framework
    position = 0
    for code, name, acled, subtypes in ACLED_TYPES:
        position += 1
        parent = EventType.objects.create(
            framework=framework,
            code=code,
            name=name,
            acled_event_type=acled,
            position=position,
        )
        for sub_code, sub_name, acled_sub, sms_code in subtypes:
            position += 1
            EventType.objects.create(
                framework=framework,
                code=f"{code}.{sub_code}",
                name=sub_name,
                parent=parent,
                acled_event_type=acled,
                acled_sub_event_type=acled_sub,
                sms_code=sms_code,
                position=position,
            )
    Indicator.objects.bulk_create(
        Indicator(
            framework=framework,
            code=code,
            name=name,
            sector=sector,
            polarity=polarity,
            value_type=value_type,
            position=number,
        )
        for number, (code, name, sector, polarity, value_type) in enumerate(INDICATORS, 1)
    )
    record_event(framework, "framework.loaded", by=by)
    return framework
