"""Migrations of the registry app."""
