"""Full-text index on `Actor.search_text`: FTS5 on SQLite, a GIN tsvector index on PostgreSQL.

Each database gets its own engine; the other one skips the operation. The SQLite index is an
external-content FTS5 table kept in sync by triggers. Beware: on SQLite a later migration that
rebuilds `registry_actor` (most `AlterField`s do) drops these triggers with the old table;
`test_search.py` checks they exist after all migrations, so such a migration must recreate them.
"""

from typing import Any

from django.db import migrations

SQLITE_CREATE = [
    # Prefix indexes for 2, 3 and 4 characters: "wa", "wan", "wane" as someone types WANEP.
    """
    CREATE VIRTUAL TABLE registry_actor_fts USING fts5(
        search_text,
        content='registry_actor',
        content_rowid='id',
        tokenize='unicode61 remove_diacritics 2',
        prefix='2 3 4'
    )
    """,
    """
    CREATE TRIGGER registry_actor_fts_insert AFTER INSERT ON registry_actor BEGIN
        INSERT INTO registry_actor_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END
    """,
    """
    CREATE TRIGGER registry_actor_fts_delete AFTER DELETE ON registry_actor BEGIN
        INSERT INTO registry_actor_fts(registry_actor_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END
    """,
    """
    CREATE TRIGGER registry_actor_fts_update AFTER UPDATE OF search_text ON registry_actor BEGIN
        INSERT INTO registry_actor_fts(registry_actor_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO registry_actor_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END
    """,
    # Index the rows that already exist.
    "INSERT INTO registry_actor_fts(registry_actor_fts) VALUES ('rebuild')",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS registry_actor_fts_update",
    "DROP TRIGGER IF EXISTS registry_actor_fts_delete",
    "DROP TRIGGER IF EXISTS registry_actor_fts_insert",
    "DROP TABLE IF EXISTS registry_actor_fts",
]

# 'simple': names are not English prose, so no stemming and no stop words ("the", "for").
# fastupdate off: actors are written rarely and searched often, so new entries go straight
# into the index rather than into a pending list that every search would scan (measured: a
# rare word took 4 ms instead of 0.5 ms over 100,000 actors until a VACUUM).
POSTGRES_CREATE = [
    "CREATE INDEX registry_actor_search_tsv ON registry_actor "
    "USING gin (to_tsvector('simple', search_text)) WITH (fastupdate = off)",
]

POSTGRES_DROP = ["DROP INDEX IF EXISTS registry_actor_search_tsv"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
            elidable=False,
        )
    ]
