"""Reports stored before their words were masked: phone numbers, e-mail addresses and the
reporter's own name masked in title, description and actors (numbers and addresses only in the
place text), as intake now stores them. The words as sent stay in the sealed raw messages, so
going back keeps the masked words (nothing to restore from)."""

from django.db import migrations

BATCH = 2000
FIELDS = ("title", "description", "actors_text", "location_text")


def _name_of(sealed):
    from i4p.warning import identity

    if not sealed:
        return ""
    try:
        return str(identity.unseal(sealed).get("name", ""))
    except Exception:  # keys not set for this run: numbers and addresses are still masked
        return ""


def mask_report_words(apps, schema_editor):
    from django.conf import settings

    from i4p.core.redact import mask_text

    Place = apps.get_model("geo", "Place")
    Report = apps.get_model("warning", "Report")
    regions = list(settings.I4P_PHONE_REGIONS) or list(
        Place.objects.filter(kind="country").values_list("country_code", flat=True)
    )
    names = {}
    changed = []
    rows = Report.objects.select_related("place", "reporter").only(
        *FIELDS, "place__country_code", "reporter__identity"
    )
    for report in rows.iterator(chunk_size=BATCH):
        if report.reporter_id is not None and report.reporter_id not in names:
            names[report.reporter_id] = _name_of(report.reporter.identity)
        name = names.get(report.reporter_id, "")
        country = [report.place.country_code] if report.place_id else []
        before = [getattr(report, field) for field in FIELDS]
        for field in FIELDS:
            text = getattr(report, field)
            if text:
                words = () if field == "location_text" else [name]
                setattr(report, field, mask_text(text, regions=country + regions, names=words))
        if [getattr(report, field) for field in FIELDS] != before:
            changed.append(report)
        if len(changed) >= BATCH:
            Report.objects.bulk_update(changed, FIELDS)
            changed = []
    if changed:
        Report.objects.bulk_update(changed, FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0003_index_version_row"),
        ("warning", "0007_send_leases"),
    ]

    operations = [migrations.RunPython(mask_report_words, migrations.RunPython.noop)]
