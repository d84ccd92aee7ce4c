"""Tests of the registry app."""
