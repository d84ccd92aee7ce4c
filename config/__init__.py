"""Django project configuration for i4p."""
