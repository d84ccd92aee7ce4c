"""Base models, errors, audit and typing aliases shared by every app; no domain logic."""
