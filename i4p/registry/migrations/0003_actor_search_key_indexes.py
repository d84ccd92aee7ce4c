"""Indexes for the first tiers of a broad search: the folded text's start and the acronym.

A search matching thousands of actors takes its exact and starts-with tiers from these
(`selectors.ActorResults`) instead of ranking every match. The key is the first 300
characters of `search_text` in code point order ("C" collation on PostgreSQL, BINARY on
SQLite), so a range on it finds the texts that start with the words, in alphabetical order.
The queries write these expressions exactly as here: keep both in step. Like the triggers of
0002, a later migration that rebuilds `registry_actor` on SQLite drops these indexes;
`test_search.py` checks they exist after all migrations.
"""

from typing import Any

from django.db import migrations

SQLITE_CREATE = [
    # Every SQLite index ends with the rowid: (key, id) order comes with it.
    "CREATE INDEX registry_actor_search_key ON registry_actor (substr(search_text, 1, 300))",
    "CREATE INDEX registry_actor_acronym_upper ON registry_actor (upper(acronym))",
]
POSTGRES_CREATE = [
    # With the id: the starts-with tier is read in (key, id) order straight from the index.
    "CREATE INDEX registry_actor_search_key ON registry_actor "
    '((substr(search_text, 1, 300) COLLATE "C"), id)',
    "CREATE INDEX registry_actor_acronym_upper ON registry_actor (upper(acronym))",
]
DROP = [
    "DROP INDEX IF EXISTS registry_actor_acronym_upper",
    "DROP INDEX IF EXISTS registry_actor_search_key",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_actor_text_search")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": DROP, "postgresql": DROP}),
            elidable=False,
        )
    ]
