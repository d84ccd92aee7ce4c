"""Migrations of the geo app."""
