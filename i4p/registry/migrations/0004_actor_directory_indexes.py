# The directory's first page and its map read these indexes instead of sorting every entry.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0003_index_version_row'),
        ('registry', '0003_actor_search_key_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='actor',
            index=models.Index(fields=['moderation', 'name', 'id'], name='registry_actor_directory'),
        ),
        migrations.AddIndex(
            model_name='actor',
            index=models.Index(fields=['moderation', 'place'], name='registry_actor_seats'),
        ),
    ]
