"""Static files under names that carry a hash of their content, so browsers keep them for a
year: WhiteNoise serves a hashed name as immutable, and a changed file gets a new name.

`i4p serve` collects them (`collectstatic`) before it starts the web server. Without a
collected copy (a checkout that never ran it, the tests) a file keeps its plain name, served
from the apps' folders with a short lifetime, instead of the page failing."""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    # A name missing from the manifest (a file added since the last collection) is hashed
    # from its collected copy, or else keeps its plain name.
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return str(super().stored_name(name))
        except ValueError:  # not collected: neither in the manifest nor in STATIC_ROOT
            return name

    def _stored_name(self, name: str, hashed_files: Any) -> str:
        # A reference inside a collected file to one we do not ship (Leaflet names its
        # source map, leaflet.js.map) stays as written instead of failing the collection.
        try:
            return str(super()._stored_name(name, hashed_files))
        except ValueError:
            return str(self.clean_name(name))
