"""Geography: places in one hierarchy, boundaries, locate, geocode and fuzz."""
