"""WSGI entry of the bench-only app (`bench/intake_app.py`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.intake_app")
os.environ.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
application = get_wsgi_application()
