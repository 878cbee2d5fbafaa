"""``jitsuin.wsgi`` without ``PublicWsgi``: /ca/*, /crl/* and /healthz through Django's
middleware and views, as served before (bench_serving's baseline; /ocsp keeps its fast path).
Run with JITSUIN_PUBLIC_CACHE_TTL=0 so that /healthz runs every check on every request too.
"""

from jitsuin import wsgi  # sets Django up

shipped = wsgi.application  # OcspWsgi(PublicWsgi(Django))
assert type(shipped).__name__ == "OcspWsgi" and type(shipped.app).__name__ == "PublicWsgi"
application = type(shipped)(shipped.app.app)  # OcspWsgi(Django)
