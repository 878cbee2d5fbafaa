"""WSGI entry point for production servers (``gunicorn jitsuin.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

# Servers that import this module (gunicorn, granian) bypass the `jitsuin` command: the data
# files they create are for this user only too.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
application = get_wsgi_application()

# /ocsp answered before Django builds a request (relying parties ask it many times a second).
from jitsuin.revocation.fastpath import OcspWsgi  # noqa: E402  (needs the apps loaded)

application = OcspWsgi(application)
