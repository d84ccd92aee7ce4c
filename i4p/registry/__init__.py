"""The actor registry: who is who in the infrastructure for peace, where, linked to whom."""
