"""Shared page chrome: base templates, styles, health page."""
