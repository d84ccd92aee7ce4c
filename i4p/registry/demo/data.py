"""The demo registry: peace infrastructure as five public documents describe it, with quotes."""

# ruff: noqa: RUF001
# The quotes are verbatim, typographic apostrophes and quotation marks included.

from __future__ import annotations

from dataclasses import dataclass

from i4p.accounts.models import Role
from i4p.registry.models import ActorKind as K
from i4p.registry.models import ActorStatus
from i4p.registry.models import Level as L
from i4p.registry.models import RelationKind as R

# The five documents the demo is drawn from. None gives its own web address.
BLOG = "12 Organizations Building Infrastructure for Peace (Taylor O’Connor and Mustapha Ali, 2024)"
CHAPTER = (
    "Infrastructures for Peace: A New Layer of Peace and Security Governance? "
    "(Darynell Rodríguez Torres)"
)
NETWORK_SITE = "International Civil Society Network on Infrastructures for Peace (website text)"
ENCYCLOPEDIA = "Infrastructure for Peace (encyclopaedia article)"
DIALOGUE_NOTE = (
    "Unpacking a Network Approach: The Role of Networks, Movements and Coalitions in "
    "Peacebuilding and Sustaining Peace (CSO-UN Dialogue on Peacebuilding, summary note, 2023)"
)
DOCUMENTS = (BLOG, CHAPTER, NETWORK_SITE, ENCYCLOPEDIA, DIALOGUE_NOTE)

ILLUSTRATIVE = "Illustrative demo entry, not stated in the source documents"

THEMES: tuple[tuple[str, str], ...] = (
    ("infrastructures-for-peace", "Infrastructures for peace"),
    ("early-warning", "Early warning and response"),
    ("mediation-dialogue", "Mediation and dialogue"),
    ("inclusion", "Inclusion in peace processes"),
    ("women-peace-security", "Women, peace and security"),
    ("youth-peace-security", "Youth, peace and security"),
    ("local-peacebuilding", "Local peacebuilding"),
    ("regional-security", "Regional peace and security"),
    ("small-arms", "Small arms and disarmament"),
    ("security-sector-reform", "Security sector reform"),
    ("parliamentary-action", "Parliamentary action"),
    ("un-engagement", "Engagement with the United Nations"),
    ("human-rights", "Human rights"),
    ("research", "Research and knowledge"),
    ("funding", "Funding and grants"),
)


@dataclass(frozen=True)
class Quote:
    title: str
    quote: str
    url: str = ""


@dataclass(frozen=True)
class DemoActor:
    key: str  # stable key inside the demo; relations and users refer to it
    name: str
    kind: str
    level: str
    quotes: tuple[Quote, ...]
    acronym: str = ""
    other_names: tuple[str, ...] = ()
    description: str = ""
    themes: tuple[str, ...] = ()
    seat: str = ""  # ISO 3166-1 or 3166-2 code of the seat
    coverage: tuple[str, ...] = ()  # ISO codes of the places covered
    website: str = ""
    iati: str = ""
    status: str = ActorStatus.ACTIVE
    # Set on entries the documents do not state: says why the entry is in the demo.
    illustrative_note: str = ""


@dataclass(frozen=True)
class DemoRelation:
    source: str
    kind: str
    target: str
    quote: Quote | None = None
    illustrative_note: str = ""


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    place: str  # ISO code of the scope; "" means everywhere
    represents: str = ""  # key of the actor the user acts for


# Member states, as ISO 3166-1 codes (coverage of regional bodies). The European Union's 27
# are left out: loading their towns would double the time the demo takes to start.
ECOWAS_MEMBERS = ("BJ", "CV", "CI", "GM", "GH", "GN", "GW", "LR", "NG", "SN", "SL", "TG")
WEST_AFRICA = (*ECOWAS_MEMBERS, "BF", "ML", "NE")
AU_MEMBERS = (
    "DZ", "AO", "BJ", "BW", "BF", "BI", "CV", "CM", "CF", "TD", "KM", "CG", "CD", "CI",
    "DJ", "EG", "GQ", "ER", "SZ", "ET", "GA", "GM", "GH", "GN", "GW", "KE", "LS", "LR",
    "LY", "MG", "MW", "ML", "MR", "MU", "MA", "MZ", "NA", "NE", "NG", "RW", "EH", "ST",
    "SN", "SC", "SL", "SO", "ZA", "SS", "SD", "TZ", "TG", "TN", "UG", "ZM", "ZW",
)  # fmt: skip
PIF_MEMBERS = (
    "AU", "CK", "FJ", "PF", "KI", "MH", "FM", "NR", "NC", "NZ", "NU", "PW", "PG", "WS",
    "SB", "TO", "TV", "VU",
)  # fmt: skip
ASEAN_MEMBERS = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN")

# Quotes used by more than one entry.
_AU_ORGANS = Quote(
    CHAPTER,
    "At the continental level, the African Union has developed a strong institutional "
    "architecture to promote peace and security. This includes instruments such as the "
    "Commission, the Panel of the Wise, the Continental Early Warning System (CEWS), the Peace "
    "Fund, and the African Standby Force (ASF), a multidisciplinary continental peacekeeping "
    "force that operates under the direction of the African Union.",
)
_GHANA_COUNCILS = Quote(
    CHAPTER,
    "The Council's success resulted in the creation by the national government of a National "
    "Peace Council, linked to ten regional peace councils, each of which was composed of "
    "diverse stakeholders and CSOs with peacebuilding expertise. The infrastructure was "
    "formalised through Act 818 in 2011.",
)
_GHANA_DISTRICTS = Quote(
    CHAPTER,
    "Emmanuel Bombande, a civil society leader involved in creating the infrastructure, argues "
    "that legal backing for the National Peace Council, as well as the regional and district "
    "peace councils, is crucial to giving them the necessary visibility and leverage that "
    "makes them able to function with all communities and state institutions (Bombande 2007, "
    "cited in Verzat and Berghof Foundation 2014).",
)
_KENYA_2008 = Quote(
    CHAPTER,
    "these infrastructures were useful in Kenya during the episodes of electoral violence in "
    "2008 and have helped prevent similar outbreaks since then.",
)
_ENCYCLOPEDIA_EXAMPLES = Quote(
    ENCYCLOPEDIA,
    "Examples of infrastructures considered to qualify as infrastructures to peace include "
    "the National Peace Council (Ghana); the Department on Ethnic, Religious Policy and Civil "
    "Society Interaction (Kyrgyzstan); economical approaches in Guyana, Bolivia and Kenya and, "
    "As of 2012, about 30 infrastructure for peace projects around the globe supported by the "
    "United Nations Development Programme.",
)
_WANEP_ECOWAS = Quote(
    CHAPTER,
    "Acknowledging these shortcomings, the organisation sought cooperation from CSOs and "
    "developed a partnership with the West African Network for Peacebuilding (WANEP). WANEP "
    "established a subregional early warning mechanism in 2000, involving community groups and "
    "CSOs across the region in monitoring events for the prevention of armed conflicts "
    "(Bombande 2016: 121). The partnership with WANEP has been crucial to the success of ECOWAS "
    "in conflict prevention (Bombande 2016).",
)
_EU_EPLO = Quote(
    CHAPTER,
    "The European Union partners with the European Peacebuilding Liaison Office (EPLO), a civil "
    "society platform, to run the Civil Society Dialogue Network (CSDN), a forum for dialogue "
    "between CSOs and European Union policymakers.",
)
_DECOLONISATION = Quote(
    CHAPTER,
    "In Africa and Asia, the process of decolonisation led to a new wave of regionalism, giving "
    "rise to organisations such as the Organisation of African Unity, the Association of "
    "Southeast Asian Nations (ASEAN), and the South Asian Association for Regional Cooperation "
    "(SAARC).",
)
_RIGO_EFFECTIVENESS = Quote(
    CHAPTER,
    "While the European Union ranks high in terms of effectiveness, others such as SAARC, SADC "
    "or the Intergovernmental Authority on Development (IGAD) are generally deemed ineffective.",
)
_UN_COOPERATION = Quote(
    CHAPTER,
    "Greater cooperation between regional multilateral organisations and the United Nations can "
    "help balance some of these disadvantages since the United Nations often has more "
    "resources, experience and distance from the local situation, as well as a strong legal "
    "standing (Wallenstein 2015).",
)
_ASEAN_MECHANISMS = Quote(
    CHAPTER,
    "While ASEAN has limited conflict prevention mechanisms, over the last years, it has still "
    "managed to develop some, demonstrating its potential for peacebuilding. For example, in "
    "2011 the ASEAN Institute for Peace and Reconciliation (AIPR) was established, primarily "
    "for research and policy work, with a potential role in facilitating peace negotiations.",
)
_ACCORD = Quote(
    CHAPTER,
    "An excellent example of this is the African Centre for the Constructive Resolution of "
    "Disputes (ACCORD). This organisation has invested in developing a long-standing "
    "relationship with the African Union and helps to organise the African Union's High-Level "
    "Retreats, which bring together officials from the African Union, RECs, Special Envoys, and "
    "civil society representatives to discuss emerging peace and security challenges.",
)
_PIF = Quote(
    CHAPTER,
    "Regarding the Pacific, the Secretariat of the Pacific Islands Forum (PIF) has in recent "
    "years developed a relatively advanced approach to engaging with CSOs focused on conflict "
    "prevention and peacebuilding. The organisation has been holding bi-annual civil society "
    "'dialogues' for security discussions around the meetings of the Forum Regional Security "
    "Committee (FRSC) since 2009.",
)
_ACSC = Quote(
    CHAPTER,
    "In 2005, the Malaysian government organised the first ASEAN Civil Society Conference "
    "(ACSC) alongside the ASEAN Summit, creating opportunities for CSOs to interact with heads "
    "of state.",
)
_EU_LAS = Quote(
    CHAPTER,
    "Various initiatives have been proposed during European Union-LAS conferences, such as "
    "launching region-wide campaigns to raise awareness about the role of civil society, "
    "holding workshops on specific policy issues for CSOs and LAS civil servants and developing "
    "mechanisms for CSOs in various fields to present reports to relevant ministerial councils "
    "(European Peacebuilding Liaison Office (EPLO) 2013).",
)
_I4P_NETWORK_GAMIP = Quote(
    NETWORK_SITE,
    "Whilst most of the participants remain active in the topic, the network itself has not "
    "pursued the organisation of joint activities or projects after its 2013 seminar during "
    "the GAMIP Summit in Geneva (see Resources section).",
)
_CSO_UN_DIALOGUE = Quote(
    DIALOGUE_NOTE,
    "On Friday, December 1st, the representatives of Member States, the UN and civil society "
    "gathered as part of the CSO-UN Dialogue on Peacebuilding in an informal discussion "
    "entitled: “Unpacking a Network Approach: The Role of Networks, Movements and Coalitions in "
    "Peacebuilding and Sustaining Peace”.",
)
_UNA_USA = Quote(
    BLOG,
    "The United Nations Association of the United States of America (UNA-USA) is one of the "
    "very active members of WFUNA.",
)
_WFUNA = Quote(
    BLOG,
    "The World Federation of United Nations Associations (WFUNA) is a global network of UN "
    "Associations worldwide that work to strengthen and improve the United Nations by engaging "
    "global citizens.",
)
_UN_FOUNDATION = Quote(
    BLOG,
    "The United Nations Foundation (UN Foundation) is an independent charitable organization "
    "dedicated to supporting the UN, to advance the Sustainable Development Goals and to "
    "address interconnected issues such as climate change, health, gender equality, and human "
    "rights. They work through partnerships, launch public campaigns, and engage in "
    "behind-the-scenes collaboration to mobilize support for the UN, amplify diverse voices and "
    "foster collective action to address pressing global issues.",
)
_QUNO = Quote(
    BLOG,
    "The Quaker United Nations Office (QUNO) is a Quaker-led organization dedicated to "
    "promoting global peace and justice through patient diplomacy and behind-the-scenes "
    "dialogue at the United Nations. QUNO engages with diplomats, UN officials, and other "
    "stakeholders to shape international standards and foster solutions to complex global "
    "challenges.",
)
_IPU_UN = Quote(
    BLOG,
    "IPU also sponsors and takes part in international conferences and forums, and has "
    "consultative status with the United Nations.",
)

_GH_REGION_NOTE = (
    f"{ILLUSTRATIVE}: the document says the National Peace Council is linked to ten regional "
    "peace councils and names none of them; the demo names them after Ghana's ten regions of "
    "2011. Coverage follows the regions into which that region has since been divided."
)


def _ghana_region(key: str, region: str, seat: str, *covers: str) -> DemoActor:
    return DemoActor(
        key=key,
        name=f"{region} Regional Peace Council",
        kind=K.PEACE_COUNCIL,
        level=L.SUBNATIONAL,
        quotes=(_GHANA_COUNCILS,),
        description=f"Regional peace council of Ghana's {region} Region, under the National "
        "Peace Council.",
        themes=("infrastructures-for-peace", "mediation-dialogue", "local-peacebuilding"),
        seat=seat,
        coverage=covers or (seat,),
        illustrative_note=_GH_REGION_NOTE,
    )


ACTORS: tuple[DemoActor, ...] = (
    # --- Global networks and organisations building infrastructures for peace -------------
    DemoActor(
        key="gamip",
        name="Global Alliance for Ministries and Infrastructures for Peace",
        acronym="GAMIP",
        kind=K.NETWORK,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "The Global Alliance for Ministries and Infrastructures for Peace (GAMIP) is a "
                "global network of civil society organizations, campaigns, citizens, and "
                "government officials from over 50 countries working to institutionalize "
                "peacebuilding through the establishment of national peace ministries, "
                "councils, academies, and other peace infrastructures.",
            ),
        ),
        description="Global network working for national peace ministries, councils and "
        "academies; hosts webinars and global summits.",
        themes=("infrastructures-for-peace",),
    ),
    DemoActor(
        key="gppac",
        name="Global Partnership for the Prevention of Armed Conflict",
        acronym="GPPAC",
        kind=K.NETWORK,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "Broadly speaking, ‘infrastructures for peace comprise all institutions, "
                "mechanisms, resources, and skills that create resilience, address root "
                "causes of conflict and support peaceful resolution of conflicts’ (GPPAC 2020).",
            ),
            Quote(
                DIALOGUE_NOTE,
                "For example, GPPAC provided a grant through its participatory Youth-by-Youth "
                "grant to convene young peacebuilders in Nigeria to prepare them for the "
                "consultations on the YPS National Action Plan.",
            ),
        ),
        description="Global civil-society network for conflict prevention; gives small grants "
        "such as its Youth-by-Youth grant.",
        themes=("infrastructures-for-peace", "youth-peace-security", "funding"),
        seat="NL",
        website="https://www.gppac.net",
    ),
    DemoActor(
        key="peaceinfrastructures",
        name="PeaceInfrastructures.org",
        other_names=("Peace Infrastructures.org",),
        kind=K.OTHER,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "Peace Infrastructures.org is a knowledge hub for practitioners, "
                "policymakers, academics, and institutions engaged in conflict prevention and "
                "peacebuilding worldwide.",
            ),
        ),
        description="Knowledge hub with resources on infrastructures for peace, conflict "
        "analysis and insider mediation.",
        themes=("infrastructures-for-peace", "research"),
        website="https://www.peaceinfrastructures.org",
    ),
    DemoActor(
        key="i4p-network",
        name="International Civil Society Network on Infrastructures for Peace",
        other_names=("International Network on Infrastructures for Peace",),
        kind=K.NETWORK,
        level=L.GLOBAL,
        status=ActorStatus.DORMANT,
        quotes=(
            Quote(
                NETWORK_SITE,
                "The International Civil Society Network on Infrastructures for Peace (I4P) "
                "was active in the 2010-2014 period to enhance the cooperation between civil "
                "society and other stakeholders such as governments and the United Nations for "
                "the purpose of promoting institutional mechanisms that are based on the "
                "commitment to cooperative conflict resolution.",
            ),
            _I4P_NETWORK_GAMIP,
        ),
        description="Civil-society network active 2010-2014; its knowledge and contacts are "
        "kept as a resource for peacebuilders.",
        themes=("infrastructures-for-peace", "local-peacebuilding"),
    ),
    DemoActor(
        key="p4p",
        name="Principles for Peace Foundation",
        acronym="P4P",
        other_names=("Principles for Peace",),
        kind=K.NETWORK,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "The Principles for Peace Foundation (P4P or Principles for Peace) is a newer "
                "initiative that brings together over 120 groups working on peacebuilding "
                "across global, regional, and local levels.",
            ),
        ),
        description="Brings together over 120 groups to build a common framework and "
        "principles for peace efforts.",
        themes=("inclusion",),
        seat="CH",
    ),
    DemoActor(
        key="csp",
        name="Conducive Space for Peace",
        acronym="CSP",
        kind=K.CSO,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "Conducive Space for Peace (CSP) is dedicated to transforming the global "
                "peacebuilding system by supporting locally led initiatives and fostering "
                "collaboration among diverse stakeholders.",
            ),
        ),
        description="Creates spaces where local actors, CSOs and international organisations "
        "connect and launch collaborative initiatives.",
        themes=("inclusion", "local-peacebuilding"),
        seat="DK",
        website="https://www.conducivespace.org",
    ),
    DemoActor(
        key="inclusive-peace",
        name="Inclusive Peace",
        kind=K.CSO,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "Inclusive Peace describes themselves as a ‘think-and-do tank’ that is "
                "dedicated to fostering peaceful and inclusive societies by supporting "
                "civilian-led peace processes worldwide.",
            ),
        ),
        description="Think-and-do tank: peace process support, knowledge generation and "
        "agenda setting.",
        themes=("inclusion", "mediation-dialogue", "research"),
        seat="CH",
        website="https://www.inclusivepeace.org",
    ),
    DemoActor(
        key="inclusive-security",
        name="Inclusive Security",
        kind=K.CSO,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "Inclusive Security is dedicated to transforming decision-making about war and "
                "peace by increasing the participation of women and other underrepresented "
                "groups in conflict prevention, resolution, and recovery.",
            ),
        ),
        description="Equips women leaders and gives policymakers evidence on inclusive approaches.",
        themes=("inclusion", "women-peace-security"),
        seat="US",
        website="https://www.inclusivesecurity.org",
    ),
    DemoActor(
        key="gnwp",
        name="Global Network of Women Peacebuilders",
        acronym="GNWP",
        kind=K.NETWORK,
        level=L.GLOBAL,
        quotes=(
            Quote(
                DIALOGUE_NOTE,
                "For example, the Global Network of Women Peacebuilders’ “Peace Exchanges”¹ "
                "facilitate cross-regional sharing of best practices and lessons learned among "
                "critical leaders in the WPS process.",
            ),
        ),
        description="Network of women peacebuilders; its Peace Exchanges share practice across "
        "regions.",
        themes=("women-peace-security",),
        seat="US",
        website="https://gnwp.org",
    ),
    DemoActor(
        key="cso-un-dialogue",
        name="Civil Society-UN Dialogue on Peacebuilding",
        other_names=("CSO-UN Dialogue on Peacebuilding", "CS-UN Dialogue on Peacebuilding"),
        kind=K.OTHER,
        level=L.GLOBAL,
        quotes=(
            _CSO_UN_DIALOGUE,
            Quote(
                DIALOGUE_NOTE,
                "Regular dialogue is key. The CS-UN Dialogue on Peacebuilding can be the "
                "foundation of such relationships.",
            ),
        ),
        description="Informal dialogue of Member States, the UN and civil society on "
        "peacebuilding, held in New York.",
        themes=("un-engagement", "mediation-dialogue"),
        seat="US",
    ),
    DemoActor(
        key="conciliation-resources",
        name="Conciliation Resources",
        kind=K.CSO,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "Other peacebuilding organisations have defined it as 'a long-term process of "
                "encouraging people to talk, repairing relationships, and reforming "
                "institutions' (Conciliation Resources) or 'dealing with the reasons why people "
                "fight in the first place and supporting societies to manage their differences "
                "and conflicts without resorting to violence' (International Alert).",
            ),
        ),
        description="Peacebuilding organisation.",
        themes=("mediation-dialogue",),
        seat="GB",
    ),
    DemoActor(
        key="international-alert",
        name="International Alert",
        kind=K.CSO,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "Other peacebuilding organisations have defined it as 'a long-term process of "
                "encouraging people to talk, repairing relationships, and reforming "
                "institutions' (Conciliation Resources) or 'dealing with the reasons why people "
                "fight in the first place and supporting societies to manage their differences "
                "and conflicts without resorting to violence' (International Alert).",
            ),
        ),
        description="Peacebuilding organisation.",
        themes=("mediation-dialogue",),
        seat="GB",
    ),
    DemoActor(
        key="berghof",
        name="Berghof Foundation",
        kind=K.ACADEMIC,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "As noted by Verzat and the Berghof Foundation (2014), this development has led "
                "to the establishment of a managerial administration, including peace "
                "councils, officers and support units, whose aim is peacebuilding at all levels "
                "of the society.",
            ),
        ),
        description="Publishes research and the Berghof Handbook on infrastructures for peace.",
        themes=("research", "infrastructures-for-peace"),
        seat="DE",
        website="https://berghof-foundation.org",
    ),
    DemoActor(
        key="small-arms-survey",
        name="Small Arms Survey",
        kind=K.ACADEMIC,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "As a result of these efforts, Kenya has seen a decrease in the number of small "
                "arms circulating within the country, and violent crime and armed conflict have "
                "declined in the region (Small Arms Survey 2019).",
            ),
        ),
        description="Research on small arms; its annual reports document Kenya's and Nepal's "
        "results.",
        themes=("small-arms", "research"),
        seat="CH",
        website="https://smallarmssurvey.org",
    ),
    # --- Parliamentarians ------------------------------------------------------------------
    DemoActor(
        key="ipu",
        name="Inter-Parliamentary Union",
        acronym="IPU",
        other_names=("Interparliamentary Union",),
        kind=K.PARLIAMENT,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "The Inter-Parliamentary Union (IPU) is a historic peace organization founded "
                "in 1889.",
            ),
            _IPU_UN,
        ),
        description="Member-based organisation of parliaments: political dialogue and "
        "coordinated parliamentary action.",
        themes=("parliamentary-action", "un-engagement"),
        seat="CH",
        website="https://www.ipu.org",
    ),
    DemoActor(
        key="pga",
        name="Parliamentarians for Global Action",
        acronym="PGA",
        kind=K.PARLIAMENT,
        level=L.GLOBAL,
        quotes=(
            Quote(
                BLOG,
                "Parliamentarians for Global Action (PGA) is a network of approximately 1,300 "
                "legislators from over 140 parliaments.",
            ),
        ),
        description="Network of legislators mobilised for legislative reform, human rights "
        "and treaty ratification.",
        themes=("parliamentary-action", "human-rights"),
        seat="US",
        website="https://www.pgaction.org",
    ),
    # --- The United Nations and those who support it ---------------------------------------
    DemoActor(
        key="un",
        name="United Nations",
        acronym="UN",
        kind=K.UN_ENTITY,
        level=L.GLOBAL,
        quotes=(_UN_COOPERATION,),
        description="The United Nations.",
        themes=("regional-security",),
        seat="US",
        website="https://www.un.org",
    ),
    DemoActor(
        key="undp",
        name="United Nations Development Programme",
        acronym="UNDP",
        kind=K.UN_ENTITY,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "Meanwhile, the United Nations Development Programme (UNDP) defines it as a "
                "network of interdependent systems, resources, values, and skills co-owned by "
                "government, civil society and community institutions that promote dialogue "
                "and consultation, prevent conflict and enable peaceful mediation when violence "
                "occurs in a society (UNDP 2013).",
            ),
            _ENCYCLOPEDIA_EXAMPLES,
        ),
        description="Supported about 30 infrastructure for peace projects around the globe (2012).",
        themes=("infrastructures-for-peace", "funding"),
        seat="US",
        website="https://www.undp.org",
        iati="XM-DAC-41114",
    ),
    DemoActor(
        key="pbso",
        name="UN Peacebuilding Support Office",
        acronym="UN PBSO",
        other_names=("UNPBSO", "Peacebuilding Support Office"),
        kind=K.UN_ENTITY,
        level=L.GLOBAL,
        quotes=(
            Quote(
                CHAPTER,
                "This 'non-sequential' approach to peacebuilding is echoed by the UN "
                "Peacebuilding Support Office, UNPBSO, which refers to peacebuilding as 'the "
                "continuum of strategy, processes and activities aimed at sustaining peace over "
                "the long-term with a clear focus on reducing chances for the relapse into "
                "conflict'.",
            ),
        ),
        description="UN office supporting peacebuilding and sustaining peace.",
        themes=("un-engagement",),
        seat="US",
        website="https://www.un.org/peacebuilding/",
    ),
    DemoActor(
        key="wfuna",
        name="World Federation of United Nations Associations",
        acronym="WFUNA",
        kind=K.NETWORK,
        level=L.GLOBAL,
        quotes=(_WFUNA,),
        description="Network of over 100 national United Nations Associations.",
        themes=("un-engagement", "youth-peace-security"),
        seat="US",
        website="https://wfuna.org",
    ),
    DemoActor(
        key="una-usa",
        name="United Nations Association of the United States of America",
        acronym="UNA-USA",
        kind=K.CSO,
        level=L.NATIONAL,
        quotes=(_UNA_USA,),
        description="Over 20,000 members in more than 200 chapters supporting the UN.",
        themes=("un-engagement",),
        seat="US",
        coverage=("US",),
        website="https://unausa.org",
    ),
    DemoActor(
        key="un-foundation",
        name="United Nations Foundation",
        acronym="UN Foundation",
        kind=K.DONOR,
        level=L.GLOBAL,
        quotes=(_UN_FOUNDATION,),
        description="Independent charitable organisation supporting the UN and the Sustainable "
        "Development Goals.",
        themes=("un-engagement", "funding"),
        seat="US",
        website="https://unfoundation.org",
    ),
    DemoActor(
        key="quno",
        name="Quaker United Nations Office, New York",
        acronym="QUNO",
        other_names=("Quaker United Nations Office",),
        kind=K.CSO,
        level=L.GLOBAL,
        quotes=(_QUNO,),
        description="Quaker-led patient diplomacy at the UN: disarmament, peacebuilding, human "
        "rights, climate justice.",
        themes=("un-engagement", "mediation-dialogue"),
        seat="US",
        website="https://quno.org",
    ),
    # --- West Africa ------------------------------------------------------------------------
    DemoActor(
        key="ecowas",
        name="Economic Community of West African States",
        acronym="ECOWAS",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "The Economic Community of West African States (ECOWAS) recognised the need for "
                "a regional approach to promote peace and security due to the porosity of "
                "borders and the spillover effect of conflicts.",
            ),
            Quote(
                CHAPTER,
                "ECOWAS and civil society are now working together to develop national peace "
                "infrastructures.",
            ),
        ),
        description="West African regional community; with WANEP, a regional peace "
        "infrastructure from grass roots to sub-region.",
        themes=("regional-security", "early-warning", "infrastructures-for-peace"),
        seat="NG",
        coverage=ECOWAS_MEMBERS,
        website="https://www.ecowas.int",
    ),
    DemoActor(
        key="wanep",
        name="West African Network for Peacebuilding",
        acronym="WANEP",
        kind=K.NETWORK,
        level=L.REGIONAL,
        quotes=(_WANEP_ECOWAS,),
        description="Runs a subregional early warning mechanism since 2000 with community "
        "groups and CSOs.",
        themes=("early-warning", "local-peacebuilding", "infrastructures-for-peace"),
        seat="GH",
        coverage=WEST_AFRICA,
        website="https://wanep.org",
    ),
    DemoActor(
        key="wanep-ghana",
        name="WANEP-Ghana",
        kind=K.NETWORK,
        level=L.NATIONAL,
        quotes=(_WANEP_ECOWAS,),
        description="National network of WANEP in Ghana.",
        themes=("early-warning", "local-peacebuilding"),
        seat="GH",
        coverage=("GH",),
        illustrative_note=f"{ILLUSTRATIVE}: the documents name no national network of WANEP; "
        "this one is added to show a network's national members.",
    ),
    DemoActor(
        key="wanep-nigeria",
        name="WANEP-Nigeria",
        kind=K.NETWORK,
        level=L.NATIONAL,
        quotes=(_WANEP_ECOWAS,),
        description="National network of WANEP in Nigeria.",
        themes=("early-warning", "local-peacebuilding"),
        seat="NG",
        coverage=("NG",),
        illustrative_note=f"{ILLUSTRATIVE}: the documents name no national network of WANEP; "
        "this one is added to show a network's national members.",
    ),
    # --- Ghana ------------------------------------------------------------------------------
    DemoActor(
        key="gh-npc",
        name="National Peace Council (Ghana)",
        acronym="NPC",
        other_names=("Ghana National Peace Council",),
        kind=K.PEACE_COUNCIL,
        level=L.NATIONAL,
        quotes=(_GHANA_COUNCILS, _ENCYCLOPEDIA_EXAMPLES),
        description="Ghana's national peace council, formalised through Act 818 (2011) and "
        "linked to ten regional peace councils.",
        themes=("infrastructures-for-peace", "mediation-dialogue", "local-peacebuilding"),
        seat="GH",
        coverage=("GH",),
    ),
    DemoActor(
        key="gh-nrpac",
        name="Northern Regional Peace Advocacy Council",
        acronym="NRPAC",
        kind=K.PEACE_COUNCIL,
        level=L.SUBNATIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "Due to ethnic conflicts in the north of the country from 1994 to 2002, the "
                "Northern Regional Peace Advocacy Council (NRPAC) was created by the regional "
                "government as a mediation mechanism. The Council was based on the "
                "peacebuilding practices of grass-roots CSOs (Odendaal 2010).",
            ),
        ),
        description="Mediation mechanism created by the regional government of Ghana's "
        "Northern Region; its success led to the National Peace Council.",
        themes=("mediation-dialogue", "local-peacebuilding"),
        seat="GH-NP",
        coverage=("GH-NP",),
    ),
    _ghana_region("gh-rpc-ashanti", "Ashanti", "GH-AH"),
    _ghana_region("gh-rpc-brong-ahafo", "Brong-Ahafo", "GH-BO", "GH-BO", "GH-BE", "GH-AF"),
    _ghana_region("gh-rpc-central", "Central", "GH-CP"),
    _ghana_region("gh-rpc-eastern", "Eastern", "GH-EP"),
    _ghana_region("gh-rpc-greater-accra", "Greater Accra", "GH-AA"),
    _ghana_region("gh-rpc-northern", "Northern", "GH-NP", "GH-NP", "GH-SV", "GH-NE"),
    _ghana_region("gh-rpc-upper-east", "Upper East", "GH-UE"),
    _ghana_region("gh-rpc-upper-west", "Upper West", "GH-UW"),
    _ghana_region("gh-rpc-volta", "Volta", "GH-TV", "GH-TV", "GH-OT"),
    _ghana_region("gh-rpc-western", "Western", "GH-WP", "GH-WP", "GH-WN"),
    DemoActor(
        key="gh-dpc-tamale",
        name="Tamale District Peace Council",
        kind=K.PEACE_COUNCIL,
        level=L.DISTRICT,
        quotes=(_GHANA_DISTRICTS,),
        description="District peace council in Ghana's Northern Region.",
        themes=("mediation-dialogue", "local-peacebuilding"),
        seat="GH-NP",
        coverage=("GH-NP",),
        illustrative_note=f"{ILLUSTRATIVE}: the document speaks of district peace councils in "
        "Ghana but names none; this one is added to show the district level.",
    ),
    DemoActor(
        key="gh-dpc-bawku",
        name="Bawku District Peace Council",
        kind=K.PEACE_COUNCIL,
        level=L.DISTRICT,
        quotes=(_GHANA_DISTRICTS,),
        description="District peace council in Ghana's Upper East Region.",
        themes=("mediation-dialogue", "local-peacebuilding", "early-warning"),
        seat="GH-UE",
        coverage=("GH-UE",),
        illustrative_note=f"{ILLUSTRATIVE}: the document speaks of district peace councils in "
        "Ghana but names none; this one is added to show the district level.",
    ),
    DemoActor(
        key="gh-lpc-bawku-central",
        name="Bawku Central Local Peace Committee",
        kind=K.LOCAL_PEACE_COMMITTEE,
        level=L.COMMUNITY,
        quotes=(),
        description="Community peace committee working with the Bawku District Peace Council.",
        themes=("local-peacebuilding", "early-warning"),
        seat="GH-UE",
        coverage=("GH-UE",),
        illustrative_note=f"{ILLUSTRATIVE}: added to show a local peace committee inside a "
        "district.",
    ),
    # --- Kenya ------------------------------------------------------------------------------
    DemoActor(
        key="ke-knfp",
        name="Kenya National Focal Point on Illicit Small Arms and Light Weapons",
        kind=K.GOVERNMENT,
        level=L.NATIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "In the case of Kenya, the government, CSOs, and other stakeholders established "
                "the Kenya National Focal Point on Illicit Small Arms and Light Weapons in 2003 "
                "to coordinate efforts to combat the proliferation of small arms and light "
                "weapons in the country.",
            ),
        ),
        description="Coordinates Kenya's National Action Plan on Small Arms and Light Weapons "
        "Control.",
        themes=("small-arms", "security-sector-reform"),
        seat="KE",
        coverage=("KE",),
    ),
    DemoActor(
        key="ke-nsc",
        name="National Steering Committee on Peacebuilding and Conflict Management",
        acronym="NSC",
        kind=K.GOVERNMENT,
        level=L.NATIONAL,
        quotes=(_KENYA_2008,),
        description="Kenya's national coordination of peace structures.",
        themes=("infrastructures-for-peace", "early-warning", "local-peacebuilding"),
        seat="KE",
        coverage=("KE",),
        illustrative_note=f"{ILLUSTRATIVE}: the document speaks of Kenya's infrastructures for "
        "peace but does not name this committee; it is added to show Kenya's national level.",
    ),
    DemoActor(
        key="ke-dpc-wajir",
        name="Wajir District Peace Committee",
        kind=K.LOCAL_PEACE_COMMITTEE,
        level=L.DISTRICT,
        quotes=(_KENYA_2008,),
        description="District peace committee in Wajir County.",
        themes=("local-peacebuilding", "early-warning", "mediation-dialogue"),
        seat="KE-46",
        coverage=("KE-46",),
        illustrative_note=f"{ILLUSTRATIVE}: the documents name no Kenyan district peace "
        "committee; this one is added to show the district level.",
    ),
    DemoActor(
        key="ke-dpc-marsabit",
        name="Marsabit District Peace Committee",
        kind=K.LOCAL_PEACE_COMMITTEE,
        level=L.DISTRICT,
        quotes=(_KENYA_2008,),
        description="District peace committee in Marsabit County.",
        themes=("local-peacebuilding", "early-warning", "small-arms"),
        seat="KE-25",
        coverage=("KE-25",),
        illustrative_note=f"{ILLUSTRATIVE}: the documents name no Kenyan district peace "
        "committee; this one is added to show the district level.",
    ),
    # --- Kyrgyzstan -------------------------------------------------------------------------
    DemoActor(
        key="kg-department",
        name="Department on Ethnic, Religious Policy and Civil Society Interaction",
        kind=K.GOVERNMENT,
        level=L.NATIONAL,
        quotes=(_ENCYCLOPEDIA_EXAMPLES,),
        description="Kyrgyzstan's government department cited as an infrastructure for peace.",
        themes=("infrastructures-for-peace", "mediation-dialogue"),
        seat="KG",
        coverage=("KG",),
    ),
    # --- African Union ----------------------------------------------------------------------
    DemoActor(
        key="au",
        name="African Union",
        acronym="AU",
        kind=K.RIGO,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="Continental peace and security architecture: Commission, Panel of the "
        "Wise, CEWS, Peace Fund, African Standby Force.",
        themes=("regional-security", "early-warning"),
        seat="ET",
        coverage=AU_MEMBERS,
        website="https://au.int",
    ),
    DemoActor(
        key="au-commission",
        name="African Union Commission",
        acronym="AUC",
        kind=K.RIGO,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="The Commission of the African Union.",
        themes=("regional-security",),
        seat="ET",
        coverage=AU_MEMBERS,
    ),
    DemoActor(
        key="au-panel-of-the-wise",
        name="Panel of the Wise",
        other_names=("African Union Panel of the Wise",),
        kind=K.OTHER,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="African Union instrument for peace and security.",
        themes=("mediation-dialogue", "regional-security"),
        seat="ET",
        coverage=AU_MEMBERS,
    ),
    DemoActor(
        key="au-cews",
        name="Continental Early Warning System",
        acronym="CEWS",
        kind=K.OTHER,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="The African Union's early warning system.",
        themes=("early-warning", "regional-security"),
        seat="ET",
        coverage=AU_MEMBERS,
    ),
    DemoActor(
        key="au-peace-fund",
        name="Peace Fund (African Union)",
        other_names=("African Union Peace Fund",),
        kind=K.DONOR,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="The African Union's fund for peace and security.",
        themes=("funding", "regional-security"),
        seat="ET",
    ),
    DemoActor(
        key="au-asf",
        name="African Standby Force",
        acronym="ASF",
        kind=K.OTHER,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="Multidisciplinary continental peacekeeping force under the direction of "
        "the African Union.",
        themes=("regional-security",),
        seat="ET",
    ),
    DemoActor(
        key="au-psc",
        name="Peace and Security Council (African Union)",
        acronym="PSC",
        other_names=("African Union Peace and Security Council",),
        kind=K.RIGO,
        level=L.CONTINENTAL,
        quotes=(_AU_ORGANS,),
        description="Decision-making organ of the African Union for peace and security.",
        themes=("regional-security", "early-warning"),
        seat="ET",
        coverage=AU_MEMBERS,
        illustrative_note=f"{ILLUSTRATIVE}: the document lists the African Union's peace "
        "instruments without this council; it is added to complete the architecture.",
    ),
    DemoActor(
        key="oau",
        name="Organisation of African Unity",
        acronym="OAU",
        kind=K.RIGO,
        level=L.CONTINENTAL,
        status=ActorStatus.DISSOLVED,
        quotes=(_DECOLONISATION,),
        description="Continental organisation born of decolonisation.",
        themes=("regional-security",),
        seat="ET",
    ),
    DemoActor(
        key="accord",
        name="African Centre for the Constructive Resolution of Disputes",
        acronym="ACCORD",
        kind=K.CSO,
        level=L.CONTINENTAL,
        quotes=(_ACCORD,),
        description="Helps organise the African Union's High-Level Retreats; building an "
        "African Peace Centre in Durban.",
        themes=("mediation-dialogue", "regional-security"),
        seat="ZA",
        website="https://www.accord.org.za",
    ),
    DemoActor(
        key="igad",
        name="Intergovernmental Authority on Development",
        acronym="IGAD",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(_RIGO_EFFECTIVENESS,),
        description="Regional intergovernmental organisation in the Horn of Africa.",
        themes=("regional-security",),
        seat="DJ",
    ),
    DemoActor(
        key="sadc",
        name="Southern African Development Community",
        acronym="SADC",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(_RIGO_EFFECTIVENESS,),
        description="Regional intergovernmental organisation of Southern Africa.",
        themes=("regional-security",),
        seat="BW",
    ),
    # --- Europe -----------------------------------------------------------------------------
    DemoActor(
        key="eu",
        name="European Union",
        acronym="EU",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(_EU_EPLO, _RIGO_EFFECTIVENESS),
        description="Runs the Civil Society Dialogue Network with EPLO.",
        themes=("regional-security", "mediation-dialogue"),
        seat="BE",
        website="https://european-union.europa.eu",
    ),
    DemoActor(
        key="eplo",
        name="European Peacebuilding Liaison Office",
        acronym="EPLO",
        kind=K.NETWORK,
        level=L.REGIONAL,
        quotes=(
            _EU_EPLO,
            Quote(
                CHAPTER,
                "Working with a network organisation like the EPLO has proven valuable in "
                "organising civil society input and participation, a key to the success of "
                "this mechanism.",
            ),
        ),
        description="Civil society platform; runs the Civil Society Dialogue Network with the "
        "European Union.",
        themes=("mediation-dialogue", "regional-security"),
        seat="BE",
        website="https://eplo.org",
    ),
    DemoActor(
        key="csdn",
        name="Civil Society Dialogue Network",
        acronym="CSDN",
        kind=K.NETWORK,
        level=L.REGIONAL,
        quotes=(
            _EU_EPLO,
            Quote(
                CHAPTER,
                "The CSDN hosts events on policy issues of concern to the European Union, "
                "inviting CSOs to share their expertise on specific topics or geographic "
                "crises.",
            ),
        ),
        description="Forum for dialogue between CSOs and European Union policymakers.",
        themes=("mediation-dialogue",),
        seat="BE",
    ),
    DemoActor(
        key="osce",
        name="Organization for Security and Co-operation in Europe",
        acronym="OSCE",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "Organisations such as ASEAN or the Organization for Security and Co-operation "
                "in Europe (OSCE) fall somewhere in between, with their effectiveness varying "
                "depending on the historical period being analysed (Nathan 2010).",
            ),
        ),
        description="Regional security organisation.",
        themes=("regional-security",),
        seat="AT",
    ),
    # --- Middle East and the Americas -------------------------------------------------------
    DemoActor(
        key="las",
        name="League of Arab States",
        acronym="LAS",
        other_names=("Arab League",),
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "While some member states remain distrustful of civil society, there are "
                "individuals within the Secretariats of the League of Arab States (LAS) who "
                "support institutional reform.",
            ),
            _EU_LAS,
        ),
        description="Regional organisation; civil society engagement proposed at EU-LAS "
        "conferences.",
        themes=("regional-security",),
        seat="EG",
    ),
    DemoActor(
        key="oas",
        name="Organisation of American States",
        acronym="OAS",
        other_names=("Organization of American States",),
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "For example, the Organisation of American States (OAS) played a significant "
                "role in the demobilisation of Contra combatants in Nicaragua (Muggah 2006).",
            ),
        ),
        description="Regional organisation of the Americas; DDR and verification of peace "
        "agreements.",
        themes=("regional-security", "security-sector-reform"),
        seat="US",
        website="https://www.oas.org",
    ),
    # --- Asia and the Pacific ---------------------------------------------------------------
    DemoActor(
        key="asean",
        name="Association of Southeast Asian Nations",
        acronym="ASEAN",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(
            _DECOLONISATION,
            Quote(
                CHAPTER,
                "In Southeast Asia, ASEAN has taken steps to engage more closely with civil "
                "society and create a participatory 'ASEAN Community'.",
            ),
        ),
        description="Regional organisation of Southeast Asia; civil society engagement is "
        "still informal.",
        themes=("regional-security",),
        seat="ID",
        coverage=ASEAN_MEMBERS,
        website="https://asean.org",
    ),
    DemoActor(
        key="aipr",
        name="ASEAN Institute for Peace and Reconciliation",
        acronym="AIPR",
        kind=K.ACADEMIC,
        level=L.REGIONAL,
        quotes=(_ASEAN_MECHANISMS,),
        description="Established in 2011 for research and policy work, with a potential role in "
        "peace negotiations.",
        themes=("research", "mediation-dialogue"),
        seat="ID",
        coverage=ASEAN_MEMBERS,
    ),
    DemoActor(
        key="aichr",
        name="ASEAN Intergovernmental Commission on Human Rights",
        acronym="AICHR",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "In 2009, ASEAN also established its Intergovernmental Commission on Human "
                "Rights (AICHR).",
            ),
        ),
        description="ASEAN's human rights commission.",
        themes=("human-rights",),
        seat="ID",
        coverage=ASEAN_MEMBERS,
    ),
    DemoActor(
        key="acsc",
        name="ASEAN Civil Society Conference",
        acronym="ACSC",
        other_names=("ASEAN People's Forum",),
        kind=K.NETWORK,
        level=L.REGIONAL,
        quotes=(
            _ACSC,
            Quote(
                CHAPTER,
                "The ACSC and corresponding ASEAN People's Forums are highly informal and "
                "depend on the space that the hosting chair may (or may not) wish to give them "
                "during the ASEAN Summit or while holding the rotational chair.",
            ),
        ),
        description="Civil society conference held alongside the ASEAN Summit since 2005.",
        themes=("mediation-dialogue",),
        coverage=ASEAN_MEMBERS,
    ),
    DemoActor(
        key="sapa",
        name="Solidarity for Asia Peoples' Advocacies",
        acronym="SAPA",
        kind=K.NETWORK,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "While regional networks have emerged, such as the prominent CSO Solidarity for "
                "Asia Peoples' Advocacies (SAPA), coordination among CSOs can be poor "
                "(Rodríguez Torres 2016).",
            ),
        ),
        description="Regional CSO network in Asia.",
        themes=("human-rights",),
    ),
    DemoActor(
        key="aprc",
        name="Asian Peace and Reconciliation Council",
        acronym="APRC",
        kind=K.CSO,
        level=L.REGIONAL,
        quotes=(
            Quote(
                CHAPTER,
                "Also, the Asian Peace and Reconciliation Council (APRC) promotes quiet "
                "diplomacy in the region, drawing on a high-level pool of dignitaries for "
                "conflict prevention.",
            ),
        ),
        description="Quiet diplomacy by a high-level pool of dignitaries.",
        themes=("mediation-dialogue",),
        seat="TH",
    ),
    DemoActor(
        key="saarc",
        name="South Asian Association for Regional Cooperation",
        acronym="SAARC",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(_DECOLONISATION,),
        description="Regional organisation of South Asia.",
        themes=("regional-security",),
        seat="NP",
    ),
    DemoActor(
        key="pif",
        name="Pacific Islands Forum",
        acronym="PIF",
        other_names=("Pacific Islands Forum Secretariat", "PIFS"),
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(_PIF,),
        description="Holds bi-annual civil society dialogues around the Forum Regional Security "
        "Committee since 2009.",
        themes=("regional-security", "mediation-dialogue"),
        seat="FJ",
        coverage=PIF_MEMBERS,
        website="https://www.forumsec.org",
    ),
    DemoActor(
        key="frsc",
        name="Forum Regional Security Committee",
        acronym="FRSC",
        kind=K.RIGO,
        level=L.REGIONAL,
        quotes=(_PIF,),
        description="Security committee of the Pacific Islands Forum.",
        themes=("regional-security",),
        seat="FJ",
        coverage=PIF_MEMBERS,
    ),
)


def _r(source: str, kind: str, target: str, quote: Quote) -> DemoRelation:
    return DemoRelation(source=source, kind=kind, target=target, quote=quote)


def _illustrative(source: str, kind: str, target: str, why: str) -> DemoRelation:
    return DemoRelation(
        source=source, kind=kind, target=target, illustrative_note=f"{ILLUSTRATIVE}: {why}"
    )


_REGIONAL_COUNCILS = [a.key for a in ACTORS if a.key.startswith("gh-rpc-")]

RELATIONS: tuple[DemoRelation, ...] = (
    # Stated by the documents.
    _r("wanep", R.PARTNER_OF, "ecowas", _WANEP_ECOWAS),
    _r("accord", R.PARTNER_OF, "au", _ACCORD),
    _r("au-commission", R.REPORTS_TO, "au", _AU_ORGANS),
    _r("au-panel-of-the-wise", R.REPORTS_TO, "au", _AU_ORGANS),
    _r("au-cews", R.REPORTS_TO, "au", _AU_ORGANS),
    _r("au-peace-fund", R.REPORTS_TO, "au", _AU_ORGANS),
    _r("au-asf", R.REPORTS_TO, "au", _AU_ORGANS),
    _r("eu", R.PARTNER_OF, "eplo", _EU_EPLO),
    _r("eplo", R.CONVENES, "csdn", _EU_EPLO),
    _r("eu", R.CONVENES, "csdn", _EU_EPLO),
    _r("eu", R.LIAISES_WITH, "las", _EU_LAS),
    _r("frsc", R.REPORTS_TO, "pif", _PIF),
    _r("aipr", R.REPORTS_TO, "asean", _ASEAN_MECHANISMS),
    _r(
        "aichr",
        R.REPORTS_TO,
        "asean",
        Quote(
            CHAPTER,
            "In 2009, ASEAN also established its Intergovernmental Commission on Human Rights "
            "(AICHR).",
        ),
    ),
    _r("acsc", R.LIAISES_WITH, "asean", _ACSC),
    _r("una-usa", R.MEMBER_OF, "wfuna", _UNA_USA),
    _r("wfuna", R.LIAISES_WITH, "un", _WFUNA),
    _r("un-foundation", R.PARTNER_OF, "un", _UN_FOUNDATION),
    _r("quno", R.LIAISES_WITH, "un", _QUNO),
    _r("ipu", R.ACCREDITED_TO, "un", _IPU_UN),
    _r("i4p-network", R.LIAISES_WITH, "gamip", _I4P_NETWORK_GAMIP),
    _r("cso-un-dialogue", R.LIAISES_WITH, "un", _CSO_UN_DIALOGUE),
    # Added for the demo, shown as illustrative.
    *(
        _illustrative(
            key,
            R.REPORTS_TO,
            "gh-npc",
            "the document links the National Peace Council to ten regional councils "
            "without naming them.",
        )
        for key in _REGIONAL_COUNCILS
    ),
    _illustrative(
        "gh-dpc-tamale",
        R.REPORTS_TO,
        "gh-rpc-northern",
        "district peace councils are mentioned, not named.",
    ),
    _illustrative(
        "gh-dpc-bawku",
        R.REPORTS_TO,
        "gh-rpc-upper-east",
        "district peace councils are mentioned, not named.",
    ),
    _illustrative(
        "gh-lpc-bawku-central",
        R.MEMBER_OF,
        "gh-dpc-bawku",
        "a local peace committee inside a district.",
    ),
    _illustrative(
        "ke-dpc-wajir", R.REPORTS_TO, "ke-nsc", "Kenyan district peace committees are not named."
    ),
    _illustrative(
        "ke-dpc-marsabit",
        R.REPORTS_TO,
        "ke-nsc",
        "Kenyan district peace committees are not named.",
    ),
    _illustrative(
        "ke-nsc",
        R.LIAISES_WITH,
        "ke-knfp",
        "the link between Kenya's national peace and small-arms bodies is not stated.",
    ),
    _illustrative(
        "au-psc", R.REPORTS_TO, "au", "the document does not list this council among the AU's."
    ),
    _illustrative("wanep-ghana", R.MEMBER_OF, "wanep", "WANEP's national networks are not named."),
    _illustrative(
        "wanep-nigeria", R.MEMBER_OF, "wanep", "WANEP's national networks are not named."
    ),
    _illustrative(
        "wanep", R.MEMBER_OF, "gppac", "the documents do not say how WANEP and GPPAC relate."
    ),
)

# One user per role, scoped to show what place scoping does.
DEMO_PASSWORD = "i4p-demo-only-not-for-production"
USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-admin", Role.ADMIN, ""),
    DemoUser("demo-moderator", Role.MODERATOR, "GH-NP"),
    DemoUser("demo-analyst", Role.ANALYST, "KE"),
    DemoUser("demo-responder", Role.RESPONDER, "KE-46", represents="ke-dpc-wajir"),
    DemoUser("demo-monitor", Role.MONITOR, "KE-25"),
    DemoUser("demo-member", Role.MEMBER, "GH-UE", represents="gh-lpc-bawku-central"),
)


def place_codes() -> list[str]:
    """Every ISO code the demo refers to, for the place loader."""
    codes: set[str] = set()
    for actor in ACTORS:
        codes.update(code for code in (actor.seat, *actor.coverage) if code)
    codes.update(user.place for user in USERS if user.place)
    codes.update(code.split("-")[0] for code in list(codes))
    return sorted(codes)
