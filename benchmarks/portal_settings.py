"""jitsuin's settings with one more URL: a trivial signed-in page, the ceiling of the stack
for bench_portal (the same server, middleware, session and sign-in as the portal's pages)."""

from jitsuin.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.portal_urls"
