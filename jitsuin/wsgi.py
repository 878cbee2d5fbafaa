"""WSGI entry point for production servers (``gunicorn jitsuin.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

# Servers that import this module (gunicorn, granian) bypass the `jitsuin` command: the data
# files they create are for this user only too.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jitsuin.settings")
application = get_wsgi_application()

# /ocsp, /ca/*, /crl/* and /healthz answered before Django builds a request (relying parties
# and load balancers ask them many times a second; docs/performance.md).
from jitsuin.revocation.fastpath import OcspWsgi  # noqa: E402  (needs the apps loaded)
from jitsuin.revocation.served import PublicWsgi  # noqa: E402

application = OcspWsgi(PublicWsgi(application))

# A web process unseals pickups with the key-encryption key: refuse to start with a wrong one
# (the message names JITSUIN_KEK / kek.hex). Without a database yet, the workers check it.
from django.db import DatabaseError, connections  # noqa: E402

from jitsuin.authorities.keys import check_kek  # noqa: E402
from jitsuin.notify.public_url import record_server_url  # noqa: E402

try:
    check_kek(missing_ok=True)
    # E-mail links use the server's JITSUIN_PUBLIC_URL, whichever process sends them.
    record_server_url()
except DatabaseError:
    pass
finally:
    # A server that imports this once and then forks (gunicorn --preload) must not hand one
    # database connection to every worker process.
    connections.close_all()
