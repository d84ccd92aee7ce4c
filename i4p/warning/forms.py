"""Forms of the early-warning pages. They parse and check input; the services decide and write."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from i4p.core.errors import Invalid
from i4p.core.text import fold
from i4p.geo.geocode import geocode
from i4p.geo.models import Place
from i4p.warning.intake import Draft, Identity
from i4p.warning.models import (
    EventType,
    FieldType,
    IndicatorFramework,
    InformationCredibility,
    ReportField,
    ReportKind,
    Sensitivity,
    SourceReliability,
    TimePrecision,
    Verification,
    Visibility,
)

ANSWER_PREFIX = "answer_"
# Places offered for one typed name: enough to tell namesakes apart, few enough for 2G.
PLACE_CHOICES = 8
NOT_LISTED = "none"


def event_type_choices(framework: IndicatorFramework, *, blank: Any) -> list[Any]:
    """Event types grouped under their top-level type, as ACLED lists them."""
    top: list[EventType] = []
    subtypes: dict[int, list[EventType]] = {}
    for event_type in EventType.objects.filter(framework=framework).order_by("position", "code"):
        if event_type.parent_id is None:
            top.append(event_type)
        else:
            subtypes.setdefault(event_type.parent_id, []).append(event_type)
    choices: list[Any] = [("", blank)]
    for parent in top:
        group = [(str(parent.uuid), _("%(type)s (other)") % {"type": parent.name})]
        group += [(str(sub.uuid), sub.name) for sub in subtypes.get(parent.pk, [])]
        choices.append((parent.name, group))
    return choices


def _event_type(framework: IndicatorFramework, value: str) -> EventType | None:
    if not value:
        return None
    return EventType.objects.filter(framework=framework, uuid=value).first()


def place_label(place: Place) -> str:
    parent = place.parent.name if place.parent_id and place.parent else ""
    return f"{place.name} ({parent})" if parent else place.name


class PlacePicker:
    """Place by a chosen option, by a typed name (namesakes offered as options), or nothing.

    Mixed into forms with `place`, `place_query` fields; works without any script: a typed
    name that fits several places comes back as a list to choose from.
    """

    fields: dict[str, Any]
    data: Any
    cleaned_data: dict[str, Any]

    def offer_places(self, places: list[Place]) -> None:
        choice_field(self, "place").choices = (
            [("", "—")]
            + [(str(place.uuid), place_label(place)) for place in places]
            + ([(NOT_LISTED, _("Not in this list: keep the name as I typed it"))] if places else [])
        )

    def found_places(self, text: str, country: str = "") -> list[Place]:
        try:
            candidates = geocode(text, country or None, limit=PLACE_CHOICES)
        except Invalid:
            return []
        seen: dict[int, Place] = {}
        for candidate in candidates:
            if candidate.kind == "fuzzy" and candidate.score < 85:
                continue
            seen.setdefault(candidate.place.pk, candidate.place)
        ids = list(seen)
        by_id = Place.objects.select_related("parent").in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class ReportForm(PlacePicker, forms.Form):
    """What a monitor tells: the web form of the intake service."""

    token = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("What are you reporting?"),
        choices=ReportKind.choices,
        initial=ReportKind.INCIDENT,
        widget=forms.RadioSelect,
    )
    event_type = forms.ChoiceField(label=_("Type of event"), required=False)
    occurred_on = forms.DateField(
        label=_("When (day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today."),
    )
    occurred_time = forms.TimeField(
        label=_("Time (if known)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_precision = forms.ChoiceField(
        label=_("How sure is the time?"),
        choices=TimePrecision.choices,
        initial=TimePrecision.DAY,
    )
    place_query = forms.CharField(
        label=_("Where (town, village or district)"), required=False, max_length=200
    )
    place = forms.ChoiceField(label=_("Choose the place"), required=False, choices=[])
    latitude = forms.FloatField(
        label=_("Latitude (optional)"), required=False, min_value=-90, max_value=90
    )
    longitude = forms.FloatField(
        label=_("Longitude (optional)"), required=False, min_value=-180, max_value=180
    )
    killed = forms.IntegerField(label=_("People killed"), required=False, min_value=0)
    injured = forms.IntegerField(label=_("People injured"), required=False, min_value=0)
    displaced = forms.IntegerField(label=_("People displaced"), required=False, min_value=0)
    description = forms.CharField(
        label=_("What happened?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    contact_name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=120)
    contact_phone = forms.CharField(
        label=_("Your phone (optional)"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(label=_("Your e-mail (optional)"), required=False)
    consent = forms.BooleanField(
        label=_("You may send me messages about this report"),
        required=False,
        help_text=_("Stored encrypted. Staff never see it unless a senior officer reveals it."),
    )

    def __init__(self, *args: Any, framework: IndicatorFramework, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.framework = framework
        choice_field(self, "event_type").choices = event_type_choices(
            framework, blank=_("Choose (or describe below)")
        )
        self.extra_fields = list(
            ReportField.objects.filter(framework=framework, is_active=True).order_by(
                "position", "key"
            )
        )
        for spec in self.extra_fields:
            self.fields[ANSWER_PREFIX + spec.key] = _answer_field(spec)
        self.offer_places([])
        self.choosing_place = False
        if self.is_bound:
            query = str(self.data.get("place_query", "")).strip()[:200]
            chosen = str(self.data.get("place", ""))
            places = self.found_places(query) if query else []
            if chosen and not any(str(p.uuid) == chosen for p in places):
                extra = place_by_uuid(chosen)
                places = [extra, *places] if extra else places
            self.offer_places(places)
            self.choosing_place = len(places) > 0

    def answer_fields(self) -> list[Any]:
        return [self[ANSWER_PREFIX + spec.key] for spec in self.extra_fields]

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if _uuid_or_none(token) is None:
            raise ValidationError(_("This form has expired: reload the page."))
        return str(token)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("place") or ""
        data["place_obj"] = place_by_uuid(chosen) if chosen and chosen != NOT_LISTED else None
        query = (data.get("place_query") or "").strip()
        if data["place_obj"] is None and query and chosen != NOT_LISTED:
            # A name that is exactly one place is taken; else the reporter chooses (or keeps
            # the name as typed, and a reviewer places it).
            found = self.found_places(query)
            exact = [p for p in found if p.name_folded == fold(query)]
            if len(exact) == 1:
                data["place_obj"] = exact[0]
            elif found and data.get("latitude") is None:
                self.add_error("place", _("Choose the place from the list, or “Not in this list”."))
        if data.get("kind") == ReportKind.INCIDENT and not (
            (data.get("description") or "").strip() or data.get("event_type")
        ):
            self.add_error("description", _("Say what happened, or choose the type of event."))
        return data

    def draft(self) -> Draft:
        data = self.cleaned_data
        day: dt.date = data["occurred_on"] or timezone.localdate()
        if data["occurred_time"] is not None:
            occurred = timezone.make_aware(dt.datetime.combine(day, data["occurred_time"]))
        elif day == timezone.localdate():
            occurred = timezone.now()  # today, time unknown: now, not a noon still to come
        else:
            occurred = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
        answers = {
            spec.key: data[ANSWER_PREFIX + spec.key]
            for spec in self.extra_fields
            if data.get(ANSWER_PREFIX + spec.key) not in (None, "")
        }
        place = data["place_obj"]
        return Draft(
            kind=data["kind"],
            framework=self.framework,
            event_type=_event_type(self.framework, data["event_type"]),
            occurred_at=occurred,
            time_precision=data["time_precision"],
            place=place,
            latitude=data["latitude"],
            longitude=data["longitude"],
            location_text="" if place else (data.get("place_query") or ""),
            country=place.country_code if place else "",
            description=data["description"],
            killed=data["killed"],
            injured=data["injured"],
            displaced=data["displaced"],
            answers=answers,
        )

    def identity(self) -> Identity:
        data = self.cleaned_data
        return Identity(
            phone=data["contact_phone"].strip(),
            name=data["contact_name"].strip(),
            email=data["contact_email"].strip(),
        )

    def raw(self) -> dict[str, Any]:
        """The message as sent, minus the contact details (sealed apart) and the CSRF token."""
        hidden = {"csrfmiddlewaretoken", "contact_name", "contact_phone", "contact_email"}
        return {key: self.data.get(key) for key in self.data if key not in hidden}


def choice_field(form: Any, name: str) -> forms.ChoiceField:
    field: forms.ChoiceField = form.fields[name]
    return field


def place_by_uuid(value: Any) -> Place | None:
    key = _uuid_or_none(value)
    return Place.objects.select_related("parent").filter(uuid=key).first() if key else None


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _answer_field(spec: ReportField) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec.label,
        "required": spec.required,
        "help_text": spec.help_text,
    }
    if spec.field_type == FieldType.NUMBER:
        return forms.FloatField(**common)
    if spec.field_type == FieldType.YES_NO:
        return forms.ChoiceField(choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))], **common)
    if spec.field_type == FieldType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(str(c), str(c)) for c in spec.choices]], **common
        )
    if spec.field_type == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=2000, **common)


# -- review ---------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Verification.choices]
    )
    triage = forms.ChoiceField(
        label=_("Triage"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Needs triage")), ("no", _("No triage flag"))],
    )
    place = forms.ChoiceField(label=_("Place"), required=False)
    event_type = forms.ChoiceField(label=_("Type"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(
        self, *args: Any, places: list[Place], framework: IndicatorFramework | None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        choice_field(self, "place").choices = [("", _("All my areas"))] + [
            (str(p.uuid), p.name) for p in places
        ]
        types = (
            EventType.objects.filter(framework=framework, parent__isnull=True)
            if framework
            else EventType.objects.none()
        )
        choice_field(self, "event_type").choices = [("", _("Any type"))] + [
            (str(t.uuid), t.name) for t in types
        ]


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[(v, v.label) for v in Verification if v != Verification.PENDING],
        widget=forms.RadioSelect,
    )
    reliability = forms.ChoiceField(
        label=_("Source reliability"), required=False, choices=SourceReliability.choices
    )
    credibility = forms.ChoiceField(
        label=_("Information credibility"),
        required=False,
        choices=InformationCredibility.choices,
    )
    duplicate_of = forms.UUIDField(
        label=_("Original report (for a duplicate)"),
        required=False,
        help_text=_("The id shown on the original report's page."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class EditReportForm(forms.Form):
    place = forms.ChoiceField(label=_("Place"), required=False)
    event_type = forms.ChoiceField(label=_("Type of event"), required=False)
    killed = forms.IntegerField(label=_("People killed"), required=False, min_value=0)
    injured = forms.IntegerField(label=_("People injured"), required=False, min_value=0)
    displaced = forms.IntegerField(label=_("People displaced"), required=False, min_value=0)
    sensitivity = forms.ChoiceField(label=_("Sensitivity"), choices=Sensitivity.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(
        self, *args: Any, places: list[Place], framework: IndicatorFramework, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        choice_field(self, "place").choices = [("", _("Keep the place"))] + [
            (str(p.uuid), place_label(p)) for p in places
        ]
        choice_field(self, "event_type").choices = event_type_choices(framework, blank=_("No type"))


class AssignForm(forms.Form):
    assigned_to = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args: Any, reviewers: list[Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        choice_field(self, "assigned_to").choices = [("", _("Nobody"))] + [
            (str(user.uuid), user.username) for user in reviewers
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class TriageReportForm(PlacePicker, forms.Form):
    """A reviewer writes down what a message says that no machine could read."""

    event_type = forms.ChoiceField(label=_("Type of event"), required=False)
    occurred_on = forms.DateField(
        label=_("When (day)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place_query = forms.CharField(label=_("Place name"), required=False, max_length=200)
    place = forms.ChoiceField(label=_("Choose the place"), required=False, choices=[])
    killed = forms.IntegerField(label=_("People killed"), required=False, min_value=0)
    injured = forms.IntegerField(label=_("People injured"), required=False, min_value=0)
    description = forms.CharField(
        label=_("What happened?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, framework: IndicatorFramework, places: list[Place], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.framework = framework
        choice_field(self, "event_type").choices = event_type_choices(framework, blank=_("Unknown"))
        if self.is_bound:
            query = str(self.data.get("place_query", "")).strip()[:200]
            if query:
                places = [*self.found_places(query), *places]
        self.offer_places(places)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("place") or ""
        data["place_obj"] = place_by_uuid(chosen) if chosen and chosen != NOT_LISTED else None
        if (
            data["place_obj"] is None
            and chosen != NOT_LISTED
            and (data.get("place_query") or "").strip()
        ):
            self.add_error("place", _("Choose the place from the list."))
        return data

    def draft(self) -> Draft:
        data = self.cleaned_data
        day: dt.date | None = data["occurred_on"]
        return Draft(
            framework=self.framework,
            event_type=_event_type(self.framework, data["event_type"]),
            occurred_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
            if day
            else None,
            place=data["place_obj"],
            location_text="" if data["place_obj"] else (data.get("place_query") or ""),
            description=data["description"],
            killed=data["killed"],
            injured=data["injured"],
        )


class IncidentConfirmForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=200)


class SplitForm(forms.Form):
    reports = forms.MultipleChoiceField(
        label=_("Reports about another event"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        choice_field(self, "reports").choices = choices
