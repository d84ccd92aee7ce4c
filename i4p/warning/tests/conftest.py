"""Fixtures shared by the warning tests."""

from i4p.warning.tests.loop import clock, outside, tasks  # noqa: F401
