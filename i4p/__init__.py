"""i4p: software for an Infrastructure for Peace."""
