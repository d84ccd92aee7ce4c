"""Accounts and access: users, role grants scoped to places, two-factor, API tokens."""
