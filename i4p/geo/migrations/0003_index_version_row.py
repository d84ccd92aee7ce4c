"""Create the one index version row, so concurrent writers only ever increment it."""

from django.db import migrations


def create_row(apps, schema_editor):
    IndexVersion = apps.get_model("geo", "IndexVersion")
    IndexVersion.objects.get_or_create(name="places", defaults={"value": 0})


def drop_row(apps, schema_editor):
    apps.get_model("geo", "IndexVersion").objects.filter(name="places").delete()


class Migration(migrations.Migration):

    dependencies = [("geo", "0002_index_version")]

    operations = [migrations.RunPython(create_row, drop_row)]
