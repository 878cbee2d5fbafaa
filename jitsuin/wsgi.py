"""WSGI entry point for production servers (``gunicorn jitsuin.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
application = get_wsgi_application()
