"""Migrations of the web app."""
