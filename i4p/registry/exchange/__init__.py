"""Open-data exchange of the registry: HXL CSV, Popolo JSON and GeoJSON out; HXL and Popolo in.

Exports read through the registry selectors, so a file holds only what its reader may see;
imports write through the registry services, so scoping, validation, history and audit apply.
"""
