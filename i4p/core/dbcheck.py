"""Exit 0 when the database named by DATABASE_URL answers (used by `make test`)."""

from __future__ import annotations

import os
import sys

import dj_database_url
import psycopg


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return 1
    config = dj_database_url.parse(url)
    try:
        psycopg.connect(
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
