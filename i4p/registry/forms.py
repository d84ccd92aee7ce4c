"""Forms of the registry pages. They parse and check input; the services decide and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from i4p.geo.geocode import geocode
from i4p.geo.models import Place
from i4p.registry.models import ActorKind, ActorStatus, Level, RelationKind, Theme, Visibility
from i4p.registry.services import ActorData, RelationData


def _countries() -> Any:
    return Place.objects.filter(kind="country").order_by("name")


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *ActorKind.choices]
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("Any level")), *Level.choices]
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        required=False,
        to_field_name="slug",
        queryset=Theme.objects.all(),
        empty_label=_("Any theme"),
    )
    country = forms.ModelChoiceField(
        label=_("Country"),
        required=False,
        to_field_name="uuid",
        empty_label=_("Anywhere"),
        queryset=_countries(),
    )
    # Any place below a country is accepted (a link may name a district); the list offers
    # the first-level subdivisions of the chosen country, so the page stays small.
    area = forms.ModelChoiceField(
        label=_("Region or district"),
        required=False,
        to_field_name="uuid",
        empty_label=_("Whole country"),
        queryset=Place.objects.exclude(kind="country"),
    )
    pending = forms.BooleanField(label=_("Include entries awaiting moderation"), required=False)

    def __init__(self, *args: Any, show_pending: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_pending:
            del self.fields["pending"]
        country = self.data.get("country") if self.is_bound else None
        area = self.fields["area"]
        parent = _uuid_or_none(country) if country else None
        if parent is not None:
            options = Place.objects.filter(kind="admin1", parent__uuid=parent)
            area.widget.choices = [
                ("", _("Whole country")),
                *((str(p.uuid), p.name) for p in options.order_by("name").only("uuid", "name")),
            ]
        else:
            area.widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, area = data.get("country"), data.get("area")
        if country is not None and area is not None and not area.path.startswith(country.path):
            self.add_error("area", _("This place is not in the chosen country."))
        return data

    @property
    def place(self) -> Place | None:
        data = self.cleaned_data
        return data.get("area") or data.get("country")


def _uuid_or_none(value: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# A misspelt town is accepted when the match is this sure (0-100); otherwise we ask again.
SURE_ENOUGH = 85.0


class SubmitActorForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation"), max_length=300)
    acronym = forms.CharField(label=_("Acronym"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ActorKind.choices])
    level = forms.ChoiceField(
        label=_("Level at which it works"), choices=[("", "—"), *Level.choices]
    )
    country = forms.ModelChoiceField(
        label=_("Country"), to_field_name="uuid", queryset=_countries(), empty_label="—"
    )
    town = forms.CharField(
        label=_("Town, district or region (optional)"),
        required=False,
        max_length=200,
        help_text=_("Where it is based, so that the moderators of that area see it."),
    )
    description = forms.CharField(
        label=_("What it does"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        required=False,
        to_field_name="slug",
        queryset=Theme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    submitter_email = forms.EmailField(
        label=_("Your e-mail (optional)"),
        required=False,
        help_text=_("Only moderators see it, to ask you questions. It is never published."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, town = data.get("country"), (data.get("town") or "").strip()
        data["seat"] = country
        if country is not None and town:
            found = [
                candidate
                for candidate in geocode(town, country=country.country_code, limit=5)
                if candidate.place.path.startswith(country.path)
                and (candidate.kind != "fuzzy" or candidate.score >= SURE_ENOUGH)
            ]
            if not found:
                self.add_error(
                    "town",
                    _(
                        "We could not find %(town)s in %(country)s. Check the spelling, or "
                        "leave it empty."
                    )
                    % {"town": town, "country": country.name},
                )
            else:
                data["seat"] = found[0].place
        return data

    def actor_data(self) -> ActorData:
        data = self.cleaned_data
        return ActorData(
            name=data["name"],
            acronym=data["acronym"],
            kind=data["kind"],
            level=data["level"],
            place=data["seat"],
            coverage=[data["seat"]],
            description=data["description"],
            website=data["website"],
            themes=[theme.slug for theme in data["themes"]],
        )


class ActorEditForm(forms.Form):
    """Every public fact of an actor an editor may change; relations have their own form."""

    name = forms.CharField(label=_("Name"), max_length=300)
    acronym = forms.CharField(label=_("Acronym"), max_length=40, required=False)
    other_names = forms.CharField(
        label=_("Other names, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ActorKind.choices)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    status = forms.ChoiceField(label=_("Status"), choices=ActorStatus.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    founded_on = forms.DateField(
        label=_("Founded on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Year-month-day, for example 2001-06-30."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        required=False,
        to_field_name="slug",
        queryset=Theme.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    identifiers = forms.CharField(
        label=_("Identifiers, one a line as scheme:value"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example iati:GH-DSW-1234"),
    )
    note = forms.CharField(
        label=_("What changed and why (kept in the history)"), required=False, max_length=2000
    )

    def clean_founded_on(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("founded_on")
        if value is not None and value > timezone.localdate():
            raise ValidationError(_("The founding date cannot be in the future."))
        return value

    def clean_identifiers(self) -> list[tuple[str, str]]:
        pairs = []
        for line in _lines(self.cleaned_data.get("identifiers", "")):
            scheme, _sep, value = line.partition(":")
            if not scheme.strip() or not value.strip():
                raise ValidationError(
                    _("Write each identifier as scheme:value, for example iati:GH-DSW-1234.")
                )
            pairs.append((scheme.strip(), value.strip()))
        return pairs

    @classmethod
    def initial_for(cls, actor: Any) -> dict[str, Any]:
        return {
            "name": actor.name,
            "acronym": actor.acronym,
            "other_names": "\n".join(actor.other_names or []),
            "kind": actor.kind,
            "level": actor.level,
            "status": actor.status,
            "description": actor.description,
            "website": actor.website,
            "founded_on": actor.founded_on,
            "themes": [theme.slug for theme in actor.themes.all()],
            "identifiers": "\n".join(f"{i.scheme}:{i.identifier}" for i in actor.identifiers.all()),
        }

    def actor_data(self, actor: Any) -> ActorData:
        """The edited facts; what the form does not show (place, coverage, sources) is kept."""
        data = self.cleaned_data
        return ActorData(
            name=data["name"],
            acronym=data["acronym"],
            other_names=_lines(data["other_names"]),
            kind=data["kind"],
            level=data["level"],
            status=data["status"],
            description=data["description"],
            website=data["website"],
            founded_on=data["founded_on"],
            themes=[theme.slug for theme in data["themes"]],
            identifiers=data["identifiers"],
            place=actor.place,
            coverage=list(actor.coverage.all()),
            sources=list(actor.sources or []),
            illustrative=actor.illustrative,
        )


class RelationForm(forms.Form):
    """A new relation from this actor to a target picked by name (search, then choose)."""

    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("out", _("This organisation → the other")), ("in", _("The other → this"))],
        initial="out",
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label=_("Relation"), choices=[("", "—"), *RelationKind.choices])
    target = forms.UUIDField(label=_("The other organisation"))
    started_on = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ended_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    source_text = forms.CharField(
        label=_("Source (a quotation)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    source_url = forms.URLField(label=_("Source address"), required=False, assume_scheme="https")
    visibility = forms.ChoiceField(
        label=_("Who may see it"), choices=Visibility.choices, initial=Visibility.PUBLIC
    )

    def __init__(self, *args: Any, targets: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if targets is not None:
            # Found by the name search: offered as a choice instead of a bare identifier.
            self.fields["target"] = forms.TypedChoiceField(
                label=_("The other organisation"),
                choices=[(str(a.uuid), str(a)) for a in targets],
                widget=forms.RadioSelect,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("started_on"), data.get("ended_on")
        if start and end and end < start:
            self.add_error("ended_on", _("The end date is before the start date."))
        return data

    def relation_data(self) -> RelationData:
        data = self.cleaned_data
        return RelationData(
            kind=data["kind"],
            started_on=data["started_on"],
            ended_on=data["ended_on"],
            source_text=data["source_text"],
            source_url=data["source_url"],
            visibility=data["visibility"],
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, shown to the submitter"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(forms.Form):
    into = forms.UUIDField(label=_("Merge into"))
